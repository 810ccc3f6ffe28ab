import ProductCard from "@/components/ProductCard";
import { supabase } from "@/lib/supabase";

export const revalidate = 60;

export default async function Home() {
  const { data: products } = await supabase.from("products").select("*").order("created_at", { ascending: false });

  return (
    <main className="mx-auto grid max-w-6xl grid-cols-2 gap-6 p-6 md:grid-cols-4">
      {products?.map((product) => <ProductCard key={product.id} product={product} />)}
    </main>
  );
}
