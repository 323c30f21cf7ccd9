import { pool } from "../app.js";

export async function seed(): Promise<void> {
  await pool.query("SELECT pg_advisory_lock(1)");
}
