-- Products table
create table if not exists products (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  price numeric(10, 2) not null,
  image_url text,
  created_at timestamptz default now()
);

alter table products enable row level security;
create policy "Anyone can view products" on products for select using (true);

-- Orders table
create table if not exists orders (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  items jsonb not null default '[]',
  total_cents integer not null,
  status text not null default 'pending',
  created_at timestamptz default now()
);
