exports.up = function (knex) {
  return knex.schema.createTable('notes', (t) => {
    t.increments('id');
    t.string('body').notNullable();
    t.index('body');
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('notes');
};
