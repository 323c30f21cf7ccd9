import express from "express";
import Redlock from "redlock";
import Redis from "ioredis";

const redlock = new Redlock([new Redis()]);
const app = express();

app.post("/jobs/:id/run", async (req, res) => {
  const lock = await redlock.acquire([`job:${req.params.id}`], 10_000);
  try {
    res.json({ started: true });
  } finally {
    await lock.release();
  }
});
