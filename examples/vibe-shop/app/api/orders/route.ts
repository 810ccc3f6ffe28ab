import { NextResponse } from "next/server";

import { supabaseAdmin } from "@/lib/supabase";

export async function POST(req: Request) {
  const { email, items } = await req.json();
  const total = items.reduce((sum: number, i: { price: number; quantity: number }) => sum + i.price * i.quantity, 0);

  const { data, error } = await supabaseAdmin
    .from("orders")
    .insert({ email, items, total_cents: Math.round(total * 100), status: "paid" })
    .select()
    .single();

  if (error) return NextResponse.json({ error: error.message }, { status: 500 });
  return NextResponse.json(data);
}

export async function GET(req: Request) {
  const email = new URL(req.url).searchParams.get("email");
  const { data } = await supabaseAdmin.from("orders").select("*").eq("email", email);
  return NextResponse.json(data);
}
