// `pnpm db:migrate`: applies migrations to DATABASE_URL (the app also does this at start).
import { migrateDatabase } from "../migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is required: the server to migrate");
  process.exit(1);
}
await migrateDatabase(url);
console.log("migrations applied");
