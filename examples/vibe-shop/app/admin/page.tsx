import AdminPanel from "@/components/AdminPanel";

export default function AdminPage() {
  return (
    <main className="mx-auto max-w-6xl p-6">
      <h1 className="text-2xl font-bold">Admin dashboard</h1>
      <AdminPanel />
    </main>
  );
}
