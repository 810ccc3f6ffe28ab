exports.up = function (knex) {
  return knex.schema.createTable('heartbeats', (t) => {
    t.increments('id');
    t.integer('monitor_id').notNullable().references('id').inTable('monitors');
    t.boolean('up').notNullable();
    t.timestamp('at').notNullable().defaultTo(knex.fn.now());
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('heartbeats');
};
