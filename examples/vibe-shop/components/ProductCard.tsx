type Product = { id: string; name: string; price: number; image_url: string };

export default function ProductCard({ product }: { product: Product }) {
  return (
    <a href={`/products/${product.id}`} className="rounded-2xl bg-white p-3 shadow hover:shadow-lg">
      <img src={product.image_url} alt={product.name} className="aspect-square rounded-xl object-cover" />
      <div className="mt-2 font-medium">{product.name}</div>
      <div className="text-brand-600">${product.price.toFixed(2)}</div>
    </a>
  );
}
