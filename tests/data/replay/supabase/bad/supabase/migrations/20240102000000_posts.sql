-- Posts, storage for avatars, realtime.
CREATE TABLE public.posts (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  author_id uuid NOT NULL REFERENCES auth.users(id),
  body text NOT NULL CHECK (char_length(body) <= 280),
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read posts" ON public.posts FOR SELECT TO anon, authenticated USING (true);
CREATE POLICY "write own posts" ON public.posts FOR INSERT TO authenticated
  WITH CHECK (author_id = auth.uid() AND auth.role() = 'authenticated' AND (auth.jwt() ->> 'aud') IS NOT NULL);
GRANT SELECT ON public.posts TO anon;
ALTER PUBLICATION supabase_realtime ADD TABLE public.posts;

INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true);
CREATE POLICY "avatar uploads" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'avatars' AND (storage.foldername(name))[1] = auth.uid()::text);

SELECT cron.schedule('purge-old-posts', '0 3 * * *', $$DELETE FROM public.posts WHERE created_at < now() - interval '1 year'$$);
