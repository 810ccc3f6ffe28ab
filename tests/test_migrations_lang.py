"""tree-sitter readers for Laravel PHP, Rails Ruby and knex JavaScript/TypeScript migrations.

Each test writes one migration into a real git repository and analyses it through the public entry point,
checking kinds, exact file lines, tables/columns, reversibility and parse errors, including shapes a
line-regex scanner gets wrong (heredocs, template literals, comments and strings that look like code).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from handrail.core.finding import Location
from handrail.core.project import Project
from handrail.migrations import MigrationAnalysis, analyze_migration, migration_findings
from handrail.migrations.discover import Migration

Op = tuple[str, int, str | None, str | None]
FRAMEWORK = {".php": "laravel", ".rb": "rails"}


def analyse(make_repo: Callable[..., Path], path: str, text: str, dialect: str = "postgresql") -> MigrationAnalysis:
    project = Project(make_repo({path: text}))
    framework = FRAMEWORK.get(path[path.rfind("."):], "knex")
    return analyze_migration(project, Migration(framework, path, "1", dialect, Location(path, None, "test")))


def ops(a: MigrationAnalysis, *, new: bool = False) -> list[Op]:
    return [(o.kind, o.line, o.table, o.column) for o in a.operations if new or not o.new_table]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- Laravel ------------------------------------------------------------------------------------------------------
LARAVEL_TABLE = """<?php
use Illuminate\\Database\\Migrations\\Migration;
use Illuminate\\Database\\Schema\\Blueprint;
use Illuminate\\Support\\Facades\\Schema;

return new class extends Migration
{
    public function up(): void
    {
        // $table->dropColumn('commented_out');
        /* Schema::drop('also_commented'); */
        Schema::table('users', function (Blueprint $table) {
            $table->string('motto')->default('{ not a brace }');
            $table->dropColumn('nickname');
            $table->dropColumn(['a', 'b']);
            $table->renameColumn('email', 'email_address');
            $table->decimal('price', 10, 2)
                ->change();
            $table->string('plan');
            $table->string('maybe')->nullable();
            $table->string('strict')->nullable(false);
            $table->index('created_at');
            $table->foreignId('team_id')->constrained();
            $table->dropTimestamps();
        });
        Schema::table('posts', fn (Blueprint $t) => $t->dropColumn('body'));
    }

    public function down(): void
    {
        Schema::table('users', function (Blueprint $table) {
            $table->dropColumn('plan');
        });
    }
};
"""


def test_laravel_blueprint_ops_bound_to_their_closure(make_repo: Callable[..., Path]) -> None:
    a = analyse(make_repo, "database/migrations/2024_01_01_000000_x.php", LARAVEL_TABLE)
    ln = lambda s: line_of(LARAVEL_TABLE, s)  # noqa: E731
    assert a.error is None and a.irreversible is None
    assert ops(a) == [
        ("drop_column", ln("'nickname'"), "users", "nickname"),
        ("drop_column", ln("['a', 'b']"), "users", "a"),
        ("drop_column", ln("['a', 'b']"), "users", "b"),
        ("rename_column", ln("renameColumn"), "users", "email"),
        ("alter_type", ln("decimal('price'"), "users", "price"),
        ("add_column_not_null", ln("string('plan')"), "users", "plan"),
        ("add_column_not_null", ln("'strict'"), "users", "strict"),
        ("create_index", ln("index('created_at')"), "users", "created_at"),
        ("add_foreign_key", ln("team_id"), "users", "team_id"),
        ("add_column_not_null", ln("team_id"), "users", "team_id"),
        ("drop_column", ln("dropTimestamps"), "users", "created_at"),
        ("drop_column", ln("dropTimestamps"), "users", "updated_at"),
        ("drop_column", ln("'body'"), "posts", "body"),
    ]
    assert a.operations[0].text == "$table->dropColumn('nickname')"


def test_laravel_schema_verbs_and_new_tables(make_repo: Callable[..., Path]) -> None:
    src = """<?php
class CreateThings extends Migration
{
    public function up()
    {
        Schema::create('things', function (Blueprint $table) {
            $table->id();
            $table->string('name');
        });
        Schema::table('things', function (Blueprint $table) {
            $table->index('name');
        });
        Schema::dropIfExists('old_things');
        Schema::drop('older_things');
        Schema::rename('from_t', 'to_t');
        Schema::connection('pgsql')->table('audits', function (Blueprint $table) {
            $table->dropColumn('ip');
        });
        \\Illuminate\\Support\\Facades\\Schema::drop('fqcn_t');
        DB::table('sessions')->truncate();
    }

    public function down()
    {
        Schema::drop('things');
    }
}
"""
    a = analyse(make_repo, "database/migrations/2024_01_01_000000_x.php", src)
    assert ops(a) == [
        ("create_table", 6, "things", None),
        ("drop_table", 13, "old_things", None),
        ("drop_table", 14, "older_things", None),
        ("rename_table", 15, "from_t", "to_t"),
        ("drop_column", 17, "audits", "ip"),
        ("drop_table", 19, "fqcn_t", None),
        ("truncate", 20, "sessions", None),
    ]
    assert {o.kind for o in a.operations if o.new_table} == {"add_column_not_null", "create_index"}
    assert a.irreversible is None


def test_laravel_raw_sql_exact_lines(make_repo: Callable[..., Path]) -> None:
    src = """<?php
return new class extends Migration {
    public function up(): void
    {
        DB::statement('ALTER TABLE a DROP COLUMN b');
        DB::unprepared(<<<SQL
            CREATE TABLE c (id int);

            DROP TABLE d;
            SQL);
        DB::statement("ALTER TABLE {$prefix}e DROP COLUMN f");
        DB::statement('TRUNCATE ' . 'g');
        DB::statement(<<<'SQL'
            ALTER TABLE h RENAME COLUMN i TO j
            SQL
        );
    }
    public function down(): void { Schema::drop('x'); }
};
"""
    a = analyse(make_repo, "database/migrations/2024_01_01_000000_x.php", src)
    assert ops(a, new=True) == [
        ("drop_column", 5, "a", "b"),
        ("create_table", 7, "c", None),
        ("drop_table", 9, "d", None),
        ("truncate", 12, "g", None),
        ("rename_column", 14, "h", "i"),
    ]
    assert a.error is None  # the interpolated statement is dynamic: skipped, not a parse error


def test_laravel_irreversible_shapes(make_repo: Callable[..., Path]) -> None:
    no_down = ("<?php\n\nreturn new class extends Migration\n{\n"
               "    public function up(): void { Schema::drop('a'); }\n};\n")
    empty = ("<?php\nclass X extends Migration\n{\n    public function up() { Schema::drop('a'); }\n\n"
             "    public function down()\n    {\n        // nothing to undo\n    }\n}\n")
    throws = ("<?php\nclass X extends Migration {\n    public function up() {}\n"
              "    public function down() {\n        throw new RuntimeException('no way back');\n    }\n}\n")
    assert analyse(make_repo, "database/migrations/1_a.php", no_down).irreversible == (3, "no down() method")
    assert analyse(make_repo, "database/migrations/1_b.php", empty).irreversible == (6, "down() is empty")
    assert analyse(make_repo, "database/migrations/1_c.php", throws).irreversible == (4, "down() only throws")


def test_laravel_follows_this_helpers(make_repo: Callable[..., Path]) -> None:
    src = """<?php
return new class extends Migration {
    public function up(): void
    {
        foreach (['a', 'b'] as $name) {
            $this->dropLegacy($name);
        }
    }

    private function dropLegacy(string $name): void
    {
        Schema::dropIfExists($name . '_legacy');
    }

    public function down(): void {}
};
"""
    a = analyse(make_repo, "database/migrations/1_a.php", src)
    assert ops(a) == [("drop_table", 12, "$name . '_legacy'", None)]


def test_laravel_syntax_error_reported_rest_read(make_repo: Callable[..., Path]) -> None:
    src = """<?php
return new class extends Migration {
    public function up(): void
    {
        Schema::drop('first');
        $x = ;
        Schema::drop('second');
    }
    public function down(): void { Schema::create('first', fn ($t) => $t->id()); }
};
"""
    a = analyse(make_repo, "database/migrations/1_a.php", src)
    assert a.error is not None and a.error[0] == 6 and "PHP syntax error" in a.error[1]
    assert ("drop_table", 5, "first", None) in ops(a) and ("drop_table", 7, "second", None) in ops(a)
    assert [f.rule for f in migration_findings([a])].count("migration-unparsed") == 1
    broken = src.replace("$x = ;", "if ($x {")  # recovery nests down() inside up(): it must not count as up
    b = analyse(make_repo, "database/migrations/1_b.php", broken)
    assert b.error is not None and b.error[0] == 6
    assert ops(b) == [("drop_table", 5, "first", None), ("drop_table", 7, "second", None)]
    assert b.irreversible is None  # down() lost to the syntax error is not reported as missing


# --- Rails --------------------------------------------------------------------------------------------------------
RAILS_CHANGE = """class Reshape < ActiveRecord::Migration[7.1]
  disable_ddl_transaction!

  def change
    # remove_column :commented, :out
    add_column :notes, :hint, :string, default: "remove_column :in, :string"
    remove_column :users, :nickname, :string
    rename_column :orders, :state, :status
    rename_table :carts, :baskets
    change_column_null :orders, :total, false
    add_index :orders, :user_id, algorithm: :concurrently
    add_index :orders, [:a, :b], :algorithm => :concurrently
    add_index :orders, :placed_at
    add_foreign_key :orders, :users, validate: false
    add_foreign_key :orders, :shops
    add_column :orders, :region, :string, null: false
    add_column :orders, :zone, :string, null: false, default: "eu"
    remove_reference :orders, :coupon, index: true
    change_table :users do |t|
      t.rename :login, :handle
      t.string :plan, null: false
    end
    change_column :orders, :total, :decimal
  end
end
"""


def test_rails_change_ops_and_first_irreversible(make_repo: Callable[..., Path]) -> None:
    a = analyse(make_repo, "db/migrate/20240101000000_reshape.rb", RAILS_CHANGE)
    ln = lambda s: line_of(RAILS_CHANGE, s)  # noqa: E731
    got = [(o.kind, o.line, o.table, o.column, o.safe) for o in a.operations]
    assert got == [
        ("drop_column", ln(":nickname"), "users", "nickname", False),
        ("rename_column", ln("rename_column"), "orders", "state", False),
        ("rename_table", ln("rename_table"), "carts", "baskets", False),
        ("set_not_null", ln("change_column_null"), "orders", "total", False),
        ("create_index", ln(":user_id, algorithm"), "orders", "user_id", True),
        ("create_index", ln("[:a, :b]"), "orders", "a", True),
        ("create_index", ln(":placed_at"), "orders", "placed_at", False),
        ("add_foreign_key", ln("validate: false"), "orders", None, True),
        ("add_foreign_key", ln(":shops"), "orders", None, False),
        ("add_column_not_null", ln(":region"), "orders", "region", False),
        ("drop_column", ln("remove_reference"), "orders", "coupon_id", False),
        ("rename_column", ln("t.rename"), "users", "login", False),
        ("add_column_not_null", ln("t.string :plan"), "users", "plan", False),
        ("alter_type", ln("change_column :orders"), "orders", "total", False),
    ]
    assert a.irreversible == (ln("change_column :orders"), "`change_column` cannot be reversed inside change")


def test_rails_remove_column_without_type_is_irreversible_in_change(make_repo: Callable[..., Path]) -> None:
    src = "class X < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :bio\n  end\nend\n"
    a = analyse(make_repo, "db/migrate/1_x.rb", src)
    assert ops(a) == [("drop_column", 3, "users", "bio")]
    assert a.irreversible == (3, "`remove_column` cannot be reversed inside change")


def test_rails_heredoc_sql_reversible_and_up_only(make_repo: Callable[..., Path]) -> None:
    src = """class Backfill < ActiveRecord::Migration[7.1]
  def change
    reversible do |dir|
      dir.up do
        execute <<~SQL
          UPDATE users SET a = '{';

          ALTER TABLE users DROP COLUMN legacy;
        SQL
      end
      dir.down { execute "DROP TABLE never_seen" }
    end
    up_only { execute "TRUNCATE caches" }
    execute("UPDATE t SET x = #{value}")
  end
end
"""
    a = analyse(make_repo, "db/migrate/1_x.rb", src)
    assert ops(a) == [("drop_column", 8, "users", "legacy"), ("truncate", 13, "caches", None)]
    assert a.irreversible == (14, "raw execute inside change has no reverse")  # the one outside reversible
    assert a.error is None  # interpolated SQL is dynamic: skipped, not a parse error


def test_rails_up_down_shapes(make_repo: Callable[..., Path]) -> None:
    up_only = "class X < ActiveRecord::Migration[6.0]\n  def self.up\n    drop_table :carts\n  end\nend\n"
    raising = ("class X < ActiveRecord::Migration[7.1]\n  def up\n    drop_table :carts\n  end\n\n  def down\n"
               "    raise ActiveRecord::IrreversibleMigration, \"gone\"\n  end\nend\n")
    a = analyse(make_repo, "db/migrate/1_a.rb", up_only)
    assert a.irreversible == (2, "up without down") and ops(a) == [("drop_table", 3, "carts", None)]
    b = analyse(make_repo, "db/migrate/1_b.rb", raising)
    assert b.irreversible == (7, "down raises ActiveRecord::IrreversibleMigration")
    drop_in_change = "class X < ActiveRecord::Migration[7.1]\n  def change\n    drop_table :a\n" \
                     "    drop_table :b do |t|\n      t.string :n\n    end\n  end\nend\n"
    c = analyse(make_repo, "db/migrate/1_c.rb", drop_in_change)
    assert c.irreversible == (3, "`drop_table` cannot be reversed inside change")
    assert ops(c) == [("drop_table", 3, "a", None), ("drop_table", 4, "b", None)]


def test_rails_dynamic_shapes_helpers_loops_revert(make_repo: Callable[..., Path]) -> None:
    src = """class Cleanup < ActiveRecord::Migration[7.1]
  COLUMNS = %i[a b].freeze

  def up
    COLUMNS.each { |c| remove_column :things, c, :string }
    drop_legacy
    sql = <<~SQL.squish
      TRUNCATE audit_log
    SQL
    execute sql
  end

  def down; end

  private

  def drop_legacy
    drop_table :legacy_things
  end
end
"""
    a = analyse(make_repo, "db/migrate/1_x.rb", src)
    assert ops(a) == [("drop_column", 5, "things", "c"), ("drop_table", 18, "legacy_things", None),
                      ("truncate", 8, "audit_log", None)]
    rev = ("class X < ActiveRecord::Migration[7.1]\n  def change\n    revert do\n      create_table :drafts do |t|\n"
           "        t.string :title\n      end\n    end\n  end\nend\n")
    assert ops(analyse(make_repo, "db/migrate/1_y.rb", rev)) == [("drop_table", 4, "drafts", None)]


def test_rails_syntax_error_reported_rest_read(make_repo: Callable[..., Path]) -> None:
    src = "class X < ActiveRecord::Migration[7.1]\n  def up\n    drop_table :a\n    remove_column :b, :c, (\n  end\n" \
          "  def down\n  end\nend\n"
    a = analyse(make_repo, "db/migrate/1_x.rb", src)
    assert a.error is not None and "Ruby syntax error" in a.error[1]
    assert ("drop_table", 3, "a", None) in ops(a)


# --- knex ---------------------------------------------------------------------------------------------------------
KNEX_JS = """exports.up = async function (knex) {
  // t.dropColumn('commented_out')
  await knex.schema.alterTable('notes', (t) => {
    t.string('motto').defaultTo('{ braces }');
    t.dropColumn('legacy');
    t.dropColumns('x', 'y');
    t.renameColumn('body', 'content');
    t.bigInteger('views')
      .alter();
    t.index('created_at');
    t.string('code').notNullable();
    t.string('code2').notNullable().defaultTo('a');
    t.timestamp('seen_at').defaultTo(knex.raw('now()'));
    t.integer('owner_id').references('id').inTable('users');
  });
  await knex.schema.table('tags', function (table) {
    table.dropColumn('color');
  });
  await knex.table('users').update({ active: true });
  await knex.schema
    .dropTable('a')
    .dropTableIfExists('b')
    .renameTable('c', 'd');
};
"""


def test_knex_callbacks_chains_and_no_down(make_repo: Callable[..., Path]) -> None:
    a = analyse(make_repo, "db/migrations/20240101_x.js", KNEX_JS)
    ln = lambda s: line_of(KNEX_JS, s)  # noqa: E731
    assert ops(a) == [
        ("drop_column", ln("'legacy'"), "notes", "legacy"),
        ("drop_column", ln("'x', 'y'"), "notes", "x"),
        ("drop_column", ln("'x', 'y'"), "notes", "y"),
        ("rename_column", ln("renameColumn"), "notes", "body"),
        ("alter_type", ln("'views'"), "notes", "views"),
        ("create_index", ln("index("), "notes", "created_at"),
        ("add_column_not_null", ln("'code'"), "notes", "code"),
        ("add_foreign_key", ln("owner_id"), "notes", "owner_id"),
        ("drop_column", ln("'color'"), "tags", "color"),
        ("drop_table", ln(".dropTable('a')"), "a", None),
        ("drop_table", ln("dropTableIfExists"), "b", None),
        ("rename_table", ln("renameTable"), "c", "d"),
    ]
    assert a.error is None  # knex.raw('now()') inside defaultTo is not a statement
    assert a.irreversible == (1, "no down migration exported")


KNEX_TS = """import type { Knex } from "knex";

const CLEANUP = `
  UPDATE notes SET body = '{}' WHERE body IS NULL;
  ALTER TABLE notes DROP COLUMN draft;
`;

async function dropArchive(knex: Knex): Promise<void> {
  await knex.schema.dropTable('archive');
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(CLEANUP);
  await knex.raw(`TRUNCATE ${table}`);
  await knex.raw(
    'ALTER TABLE notes ' +
    'RENAME COLUMN a TO b'
  );
  await dropArchive(knex);
}

export async function down(knex: Knex): Promise<void> {
  // nothing
}
"""


def test_knex_typescript_raw_sql_lines_and_empty_down(make_repo: Callable[..., Path]) -> None:
    a = analyse(make_repo, "db/migrations/20240101_x.ts", KNEX_TS)
    assert a.error is None
    assert ops(a) == [("drop_column", 5, "notes", "draft"), ("rename_column", 16, "notes", "a"),
                      ("drop_table", 9, "archive", None)]
    assert a.irreversible == (22, "down() does nothing")


def test_knex_export_shapes(make_repo: Callable[..., Path]) -> None:
    shorthand = """async function up(knex) {
  return knex.schema.dropTable('gone');
}
async function down(knex) {
  return knex.schema.createTable('gone', (t) => t.increments());
}
module.exports = { up, down };
"""
    a = analyse(make_repo, "db/migrations/1_a.js", shorthand)
    assert ops(a) == [("drop_table", 2, "gone", None)] and a.irreversible is None
    methods = "module.exports = {\n  async up(knex) { await knex.schema.dropTable('x'); },\n" \
              "  down: () => Promise.resolve(),\n};\n"
    b = analyse(make_repo, "db/migrations/1_b.js", methods)
    assert ops(b) == [("drop_table", 2, "x", None)] and b.irreversible == (3, "down() does nothing")
    arrow = "export const up = async (knex: Knex): Promise<void> =>\n  knex.schema.alterTable('t', t => {\n" \
            "    t.dropColumn('c');\n  });\nexport const down = async () => { throw new Error('no'); };\n"
    c = analyse(make_repo, "db/migrations/1_c.ts", arrow)
    assert ops(c) == [("drop_column", 3, "t", "c")] and c.irreversible == (5, "down() only throws")


def test_knex_syntax_error_reported_rest_read(make_repo: Callable[..., Path]) -> None:
    src = "exports.up = async (knex) => {\n  await knex.schema.dropTable('a');\n  const = 1;\n};\n" \
          "exports.down = async () => {};\n"
    a = analyse(make_repo, "db/migrations/1_a.js", src)
    assert a.error is not None and a.error[0] == 3 and "JavaScript syntax error" in a.error[1]
    assert ops(a) == [("drop_table", 2, "a", None)]


# --- startup ------------------------------------------------------------------------------------------------------
def test_tree_sitter_is_imported_lazily() -> None:
    code = "import sys, handrail.migrations, handrail.checks.rollback; print('tree_sitter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- node-pg-migrate ----------------------------------------------------------------------------------------------
PGM = """/* eslint-disable camelcase */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.createTable('invoices', { id: 'id', total: { type: 'integer', notNull: true } });
  pgm.addColumns('users', {
    plan: { type: 'text', notNull: true },
    nickname: { type: 'text' },
    credits: { type: 'integer', notNull: true, default: 0 },
  });
  pgm.dropColumns('users', ['legacy_token', 'old_hash']);
  pgm.renameColumn('orders', 'amount', 'total_cents');
  pgm.alterColumn('orders', 'status', { type: 'varchar(32)', notNull: true });
  pgm.createIndex('orders', 'user_id');
  pgm.createIndex('orders', 'created_at', { concurrently: true });
  pgm.addConstraint('orders', 'orders_user_fk', { foreignKeys: { columns: 'user_id', references: 'users' } });
  pgm.sql(`TRUNCATE audit_log`);
  // pgm.dropTable('users') in a comment is not an operation
};
"""


def _pgm(make_repo: Callable[..., Path], text: str,
         path: str = "migrations/1700000000000_shop.js") -> MigrationAnalysis:
    project = Project(make_repo({path: text}))
    return analyze_migration(project, Migration("node-pg-migrate", path, "1", "postgresql",
                                                Location(path, None, "test")))


def test_node_pg_migrate_operations_lines_and_irreversibility(make_repo: Callable[..., Path]) -> None:
    a = _pgm(make_repo, PGM)
    got = [(o.kind, o.line, o.table, o.column, o.safe) for o in a.operations if not o.new_table]
    assert got == [
        ("create_table", 5, "invoices", None, False), ("add_column_not_null", 6, "users", "plan", False),
        ("drop_column", 11, "users", "legacy_token", False), ("drop_column", 11, "users", "old_hash", False),
        ("rename_column", 12, "orders", "amount", False),
        ("alter_type", 13, "orders", "status", False), ("set_not_null", 13, "orders", "status", False),
        ("create_index", 14, "orders", None, False), ("create_index", 15, "orders", None, True),
        ("add_foreign_key", 16, "orders", None, False),
        ("truncate", 17, "audit_log", None, False),
    ]
    # no down exported, and dropColumns cannot be inverted by node-pg-migrate's own inference
    assert a.irreversible == (11, "no down exported and pgm.dropColumns cannot be reversed automatically")
    rules = {(f.rule, f.line) for f in migration_findings([a])}
    assert ("migration-destructive", 11) in rules and ("migration-irreversible", 11) in rules


def test_node_pg_migrate_invertible_or_explicit_down(make_repo: Callable[..., Path]) -> None:
    invertible = "exports.up = (pgm) => {\n  pgm.createTable('tags', { id: 'id' });\n};\n"
    assert _pgm(make_repo, invertible).irreversible is None  # node-pg-migrate writes this down itself
    marked = invertible + "exports.down = false;\n"
    assert _pgm(make_repo, marked).irreversible == (4, "`down = false`: marked irreversible")
    ts = ("import { MigrationBuilder } from 'node-pg-migrate';\n\nexport async function up(pgm: MigrationBuilder)"
          ": Promise<void> {\n  pgm.dropTable('sessions');\n}\n\nexport async function down(pgm: MigrationBuilder)"
          ": Promise<void> {\n  pgm.createTable('sessions', { id: 'id' });\n}\n")
    a = _pgm(make_repo, ts, "migrations/1700000000001_drop_sessions.ts")
    assert [(o.kind, o.line, o.table) for o in a.operations] == [("drop_table", 4, "sessions")]
    assert a.irreversible is None and a.error is None


def test_node_pg_migrate_is_discovered_from_package_json(make_repo: Callable[..., Path]) -> None:
    from handrail.migrations import discover_migrations

    project = Project(make_repo({
        "package.json": '{\n  "scripts": {\n    "migrate": "node-pg-migrate -m db/migrations"\n  },\n'
                        '  "dependencies": {\n    "node-pg-migrate": "^7.5.2"\n  }\n}\n',
        "db/migrations/1700000000000_init.js": "exports.up = (pgm) => { pgm.createTable('t', { id: 'id' }) };\n",
        "migrations/README.js": "exports.up = 1\n"}))
    found = discover_migrations(project)
    assert [(m.framework, m.path, m.dialect, m.evidence.path, m.evidence.line) for m in found] == [
        ("node-pg-migrate", "db/migrations/1700000000000_init.js", "postgresql", "package.json", 3)]
