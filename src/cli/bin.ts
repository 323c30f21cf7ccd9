#!/usr/bin/env node
// Entry point of the `coordlint` command: runs the CLI and sets the exit code (never process.exit, so output flushes).
import { run } from "./program.js";

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  cwd: process.cwd(),
});
