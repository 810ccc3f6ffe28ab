"use client";

import { ShoppingCart } from "lucide-react";
import { useState } from "react";

import { useCart } from "@/lib/cart";

export default function CartDrawer() {
  const items = useCart((s) => s.items);
  const [open, setOpen] = useState(false);
  const count = items.reduce((n, i) => n + i.quantity, 0);

  return (
    <div>
      <button onClick={() => setOpen(!open)} className="relative">
        <ShoppingCart />
        {count > 0 && <span className="absolute -right-2 -top-2 rounded-full bg-brand-500 px-1 text-xs text-white">{count}</span>}
      </button>
      {open && (
        <div className="absolute right-4 mt-2 w-72 rounded-xl bg-white p-4 shadow-xl">
          {items.map((i) => <div key={i.id}>{i.quantity} × {i.name}</div>)}
          <a href="/checkout" className="mt-3 block rounded bg-brand-600 p-2 text-center text-white">Checkout</a>
        </div>
      )}
    </div>
  );
}
