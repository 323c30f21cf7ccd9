// Benchmark: analyse every fixture (or the paths given) several times and print wall time and peak memory per run.
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { analyze } from "../dist/index.js";

const runs = Number(process.env.BENCH_RUNS ?? 3);
const targets = process.argv.slice(2).length > 0
  ? process.argv.slice(2).map((p) => path.resolve(p))
  : fs.readdirSync("fixtures").filter((n) => fs.existsSync(path.join("fixtures", n, "expected.json"))).sort().map((n) => path.resolve("fixtures", n));

console.log(`coordlint bench: ${targets.length} target(s), ${runs} run(s) each, node ${process.version}`);
console.log(["target", "files", "handlers", "sites", "best ms", "median ms", "heap MB"].join("\t"));
for (const target of targets) {
  const times = [];
  let report;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    report = await analyze({ paths: [target] });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log([path.relative(process.cwd(), target) || ".", report.summary.files, report.summary.handlers, report.summary.sites, times[0].toFixed(0), times[Math.floor(times.length / 2)].toFixed(0), heap.toFixed(0)].join("\t"));
}
