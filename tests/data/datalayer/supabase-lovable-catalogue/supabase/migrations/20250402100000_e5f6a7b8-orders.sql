CREATE TABLE public.orders (
  id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
  total NUMERIC(10,2) NOT NULL,
  shipping_address TEXT
);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;

-- First attempt, fixed in the DO block below.
CREATE POLICY "Orders are readable" ON public.orders FOR SELECT USING (true);

-- Explicit deny for anonymous users (these admit nobody).
CREATE POLICY "Block anonymous access to orders" ON public.orders FOR ALL TO anon USING (false);
CREATE POLICY "Nobody deletes orders" ON public.orders FOR DELETE USING (false);

-- Edge functions write with the service role; the policy is redundant but harmless.
CREATE POLICY "Service role manages orders" ON public.orders FOR ALL
USING (auth.role() = 'service_role')
WITH CHECK (auth.role() = 'service_role');
CREATE POLICY "Service role inserts orders" ON public.orders FOR INSERT
WITH CHECK ((auth.jwt() ->> 'role') = 'service_role');

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'orders' AND policyname = 'Orders are readable') THEN
    DROP POLICY "Orders are readable" ON public.orders;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE tablename = 'orders' AND policyname = 'Users view own orders') THEN
    CREATE POLICY "Users view own orders" ON public.orders FOR SELECT TO authenticated USING (auth.uid() = user_id);
  END IF;
END $$;

-- Order summary for the account page: created plainly, then switched to the caller's rights.
CREATE VIEW public.order_totals AS
  SELECT user_id, sum(total) AS spent FROM public.orders GROUP BY user_id;
ALTER VIEW public.order_totals SET (security_invoker = on);

CREATE VIEW public.recent_orders WITH (security_invoker = on) AS
  SELECT id, total FROM public.orders ORDER BY id DESC LIMIT 10;

CREATE OR REPLACE FUNCTION public.get_user_role(_user_id UUID)
RETURNS app_role
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
  SELECT role FROM public.user_roles WHERE user_id = _user_id LIMIT 1
$$;
