'use client';

import Stripe from 'stripe';

const stripe = new Stripe(process.env.NEXT_PUBLIC_STRIPE_SECRET_KEY!);

export default function Checkout() {
  return <button onClick={() => stripe.checkout.sessions.create({ mode: 'payment' })}>Pay</button>;
}
