import express from "express";
import { pool } from "./app.js";

// A test app with a route of its own: not one of the service's handlers.
const testApp = express();
testApp.post("/__reset", async (_req, res) => {
  await pool.query("BEGIN");
  await pool.query("TRUNCATE accounts");
  await pool.query("COMMIT");
  res.end();
});

export { testApp };
