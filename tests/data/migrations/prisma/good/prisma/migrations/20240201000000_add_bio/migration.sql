-- AlterTable
ALTER TABLE "User" ADD COLUMN "bio" TEXT, ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
CREATE INDEX CONCURRENTLY "User_active_idx" ON "User"("active");
ALTER TABLE "Post" ADD CONSTRAINT "Post_author_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;
