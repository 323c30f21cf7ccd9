import cron from "node-cron";
import { Pool } from "pg";

const pool = new Pool();

cron.schedule("0 3 * * *", async () => {
  await pool.query("SELECT pg_advisory_lock(7)");
});
