CREATE TABLE "Audit" ("id" TEXT NOT NULL);
SELECT * FROM "Audit" AS current_user; -- expect: migration-unparsed
DROP TABLE "Temp"; -- expect: migration-destructive
