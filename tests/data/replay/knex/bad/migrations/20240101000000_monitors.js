exports.up = function (knex) {
  return knex.schema.createTable('monitors', (t) => {
    t.increments('id');
    t.string('url').notNullable();
    t.integer('interval_s').notNullable().defaultTo(60);
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('monitors');
};
