ALTER TABLE "todos" ADD COLUMN "done" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "todos_done_idx" ON "todos" USING btree ("done");--> statement-breakpoint
ALTER TABLE "todos" ADD CONSTRAINT "todos_project_id_fk"
  FOREIGN KEY ("user_id") REFERENCES "public"."projects"("id");
