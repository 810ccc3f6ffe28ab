"use client";

import { useCart } from "@/lib/cart";

export default function AddToCartButton({ product }: { product: { id: string; name: string; price: number } }) {
  const add = useCart((s) => s.add);
  return (
    <button className="mt-4 rounded-xl bg-brand-600 px-6 py-3 text-white" onClick={() => add(product)}>
      Add to cart 🛒
    </button>
  );
}
