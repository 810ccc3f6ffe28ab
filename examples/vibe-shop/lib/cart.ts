import { create } from "zustand";
import { persist } from "zustand/middleware";

export type CartItem = { id: string; name: string; price: number; quantity: number };

type CartState = {
  items: CartItem[];
  add: (item: Omit<CartItem, "quantity">) => void;
  clear: () => void;
};

export const useCart = create<CartState>()(
  persist(
    (set) => ({
      items: [],
      add: (item) =>
        set((s) => {
          const existing = s.items.find((i) => i.id === item.id);
          if (existing) {
            return { items: s.items.map((i) => (i.id === item.id ? { ...i, quantity: i.quantity + 1 } : i)) };
          }
          return { items: [...s.items, { ...item, quantity: 1 }] };
        }),
      clear: () => set({ items: [] }),
    }),
    { name: "vibe-cart" },
  ),
);
