import express from "express";
import { Pool } from "pg";

export const pool = new Pool();
export const app = express();

app.get("/accounts/:id", async (req, res) => {
  const { rows } = await pool.query("SELECT * FROM accounts WHERE id = $1", [req.params.id]);
  res.json(rows[0]);
});
