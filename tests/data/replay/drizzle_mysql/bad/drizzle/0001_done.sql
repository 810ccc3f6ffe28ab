ALTER TABLE `todos` ADD `done` boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `todos_done_idx` ON `todos` (`done`);--> statement-breakpoint
INSERT INTO `todos` (`user_id`, `title`)
  SELECT `id`, 'welcome' FROM `accounts`;
