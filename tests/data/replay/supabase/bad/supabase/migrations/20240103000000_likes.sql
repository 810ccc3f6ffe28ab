-- Likes: written against a table that only ever existed in the dashboard.
CREATE TABLE public.likes (
  post_id uuid NOT NULL REFERENCES public.posts(id),
  user_id uuid NOT NULL REFERENCES auth.users(id),
  PRIMARY KEY (post_id, user_id)
);

CREATE POLICY "like once" ON public.likes FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid()
              AND EXISTS (SELECT 1 FROM public.post_settings s WHERE s.post_id = likes.post_id));
