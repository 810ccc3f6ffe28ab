/*
  Warnings:
  - You are about to drop the column `nickname` on the `User` table. All the data in the column will be lost.
*/
-- AlterTable
ALTER TABLE "User" DROP COLUMN "nickname", -- expect: migration-destructive migration-locking
ADD COLUMN "tenantId" TEXT NOT NULL;

-- DropTable
DROP TABLE "LegacyInvite"; -- expect: migration-destructive

-- CreateIndex
CREATE INDEX "Post_createdAt_idx" ON "Post"("createdAt"); -- expect: migration-locking

ALTER TABLE "Post" ALTER COLUMN "views" SET NOT NULL; -- expect: migration-locking
