module.exports = { client: 'pg', migrations: { directory: './db/migrations' } };
