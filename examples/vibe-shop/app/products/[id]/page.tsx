import AddToCartButton from "@/components/AddToCartButton";
import { supabase } from "@/lib/supabase";

export default async function ProductPage({ params }: { params: { id: string } }) {
  const { data: product } = await supabase.from("products").select("*").eq("id", params.id).single();
  if (!product) return <p className="p-6">Product not found 😢</p>;

  return (
    <main className="mx-auto max-w-3xl p-6">
      <img src={product.image_url} alt={product.name} className="rounded-2xl" />
      <h1 className="mt-4 text-3xl font-bold">{product.name}</h1>
      <p className="mt-2 text-zinc-600">{product.description}</p>
      <AddToCartButton product={product} />
    </main>
  );
}
