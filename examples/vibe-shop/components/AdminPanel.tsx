"use client";

import { useEffect, useState } from "react";

import { supabaseAdmin } from "@/lib/supabase";

type Order = { id: string; email: string; total_cents: number; status: string; created_at: string };

export default function AdminPanel() {
  const [orders, setOrders] = useState<Order[]>([]);

  useEffect(() => {
    supabaseAdmin.from("orders").select("*").order("created_at", { ascending: false })
      .then(({ data }) => setOrders(data ?? []));
  }, []);

  async function refund(id: string) {
    await supabaseAdmin.from("orders").update({ status: "refunded" }).eq("id", id);
    setOrders((o) => o.map((x) => (x.id === id ? { ...x, status: "refunded" } : x)));
  }

  return (
    <table className="mt-6 w-full">
      <tbody>
        {orders.map((o) => (
          <tr key={o.id}>
            <td>{o.email}</td>
            <td>${(o.total_cents / 100).toFixed(2)}</td>
            <td>{o.status}</td>
            <td><button onClick={() => refund(o.id)}>Refund</button></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
