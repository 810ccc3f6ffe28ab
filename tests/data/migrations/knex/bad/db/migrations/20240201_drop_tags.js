exports.up = async function (knex) { // expect: migration-irreversible
  await knex.schema.dropTableIfExists('tags'); // expect: migration-destructive
  await knex.schema.alterTable('notes', (t) => {
    t.dropColumn('legacy'); // expect: migration-destructive
    t.renameColumn('body', 'content'); // expect: migration-destructive
    t.index('created_at'); // expect: migration-locking
  });
};
