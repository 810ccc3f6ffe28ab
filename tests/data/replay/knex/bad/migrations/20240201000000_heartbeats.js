// Written from memory: `checks` was renamed to `monitors` by hand in production long ago.
exports.up = function (knex) {
  return knex.schema.alterTable('checks', (t) => {
    t.integer('retries').notNullable().defaultTo(0);
  });
};

exports.down = function (knex) {
  return knex.schema.alterTable('checks', (t) => {
    t.dropColumn('retries');
  });
};
