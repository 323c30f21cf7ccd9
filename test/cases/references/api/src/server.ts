import express from "express";
import { Pool } from "pg";

const pool = new Pool();
export const app = express();

app.post("/payouts", async (_req, res) => {
  await pool.query("BEGIN");
  await pool.query("COMMIT");
  res.end();
});
