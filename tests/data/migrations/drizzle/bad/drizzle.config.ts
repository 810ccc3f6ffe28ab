export default { schema: "./src/schema.ts", out: "./migrations", dialect: "sqlite" };
