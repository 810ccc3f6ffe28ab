"use client";

import { useState } from "react";

import { useCart } from "@/lib/cart";

export default function CheckoutPage() {
  const { items, clear } = useCart();
  const [email, setEmail] = useState("");
  const [done, setDone] = useState(false);

  async function placeOrder() {
    const res = await fetch("/api/orders", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, items }),
    });
    if (res.ok) {
      clear();
      setDone(true);
    }
  }

  if (done) return <p className="p-6 text-xl">Thanks for your order! 🎉</p>;

  return (
    <main className="mx-auto max-w-md space-y-4 p-6">
      <input className="w-full rounded border p-2" placeholder="you@example.com" value={email}
        onChange={(e) => setEmail(e.target.value)} />
      <button className="w-full rounded bg-brand-600 p-3 text-white" onClick={placeOrder}>Place order</button>
    </main>
  );
}
