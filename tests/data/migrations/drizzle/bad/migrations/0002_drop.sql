ALTER TABLE `users` DROP COLUMN `name`;--> statement-breakpoint -- expect: migration-destructive
DROP TABLE `sessions`;--> statement-breakpoint -- expect: migration-destructive
ALTER TABLE `posts` RENAME COLUMN `body` TO `content`; -- expect: migration-destructive
