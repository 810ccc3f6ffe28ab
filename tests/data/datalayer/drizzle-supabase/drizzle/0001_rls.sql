ALTER TABLE "chats" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "own chats" ON "chats" AS PERMISSIVE FOR ALL TO "authenticated" USING ((select auth.uid()) = "user_id");
