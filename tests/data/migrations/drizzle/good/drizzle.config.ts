export default { schema: "./src/schema.ts", out: "./drizzle", dialect: "sqlite" };
