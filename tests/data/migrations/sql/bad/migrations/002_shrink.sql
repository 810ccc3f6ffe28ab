-- migrate:up
ALTER TABLE accounts DROP COLUMN note; -- expect: migration-destructive
ALTER TABLE accounts MODIFY COLUMN name VARCHAR(20); -- expect: migration-destructive
RENAME TABLE items TO products; -- expect: migration-destructive
ALTER TABLE orders ADD INDEX (created_at);

-- migrate:down
DROP TABLE products;
