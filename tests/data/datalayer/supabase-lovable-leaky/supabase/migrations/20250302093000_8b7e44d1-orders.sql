-- Fix: "Block anonymous access" was blocking everyone, allow signed-in users
DROP POLICY IF EXISTS "Block anonymous access to orders" ON public.orders;

CREATE POLICY "Block unauthenticated access to orders"
ON public.orders
FOR ALL
USING (auth.uid() IS NOT NULL);

CREATE POLICY "Service can delete invitations"
ON public.invitations FOR DELETE
TO anon
USING (true);
