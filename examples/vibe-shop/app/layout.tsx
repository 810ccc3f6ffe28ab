import type { Metadata } from "next";
import "./globals.css";

import CartDrawer from "@/components/CartDrawer";

export const metadata: Metadata = {
  title: "Vibe Shop ✨",
  description: "Curated goods for good vibes",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-zinc-50 text-zinc-900">
        <header className="flex items-center justify-between p-4">
          <a href="/" className="text-xl font-bold text-brand-600">Vibe Shop ✨</a>
          <CartDrawer />
        </header>
        {children}
      </body>
    </html>
  );
}
