export async function up(knex) {
  await knex.schema.alterTable('notes', (t) => {
    t.bigInteger('views').alter(); // expect: migration-destructive migration-locking
  });
  await knex.raw('TRUNCATE notes_archive'); // expect: migration-destructive
}

export async function down(knex) { // expect: migration-irreversible
}
