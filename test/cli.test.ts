// The CLI as a subprocess: exit codes, output channels, bad input, colour and determinism.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "dist/cli/bin.js");
const CASES = path.join(ROOT, "test/cases");
const EXAMPLE = path.join(ROOT, "fixtures/express-orders");

function coordlint(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("coordlint CLI", () => {
  it("prints handlers grouped by file with class, cost and evidence, and exits 0", () => {
    const { code, stdout, stderr } = coordlint([EXAMPLE]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain("\nsrc/routes/orders.ts\n");
    expect(stdout).toMatch(/ {2}7:1 {2}coordinated {5}O\(N·W\) {2}POST \/orders {2}express {2}non-monotonic, guarded\n/);
    expect(stdout).toMatch(/ {2}8:1 {2}uncoordinated {3}O\(W\) {4}GET \/orders\/:id {2}express\n/);
    expect(stdout).toContain("↳ createOrder src/controllers/orders.ts:5 → OrderService.place src/services/order-service.ts:11 → LockService.withLock lock at src/services/order-service.ts:11:29");
    expect(stdout).toContain("5 handlers: 1 coordinated, 1 data-dependent, 0 leveraged, 3 uncoordinated");
  });

  it("writes the JSON report, the same object analyze() returns", () => {
    const { code, stdout } = coordlint([EXAMPLE, "-f", "json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(["schemaVersion", "tool", "root", "handlers", "sites", "operations", "findings", "hotspots", "diagnostics", "summary"]);
    expect(report.schemaVersion).toBe(1);
    expect(report.root).toBe(EXAMPLE);
    expect(report.summary).toEqual({
      files: 10,
      handlers: 5,
      sites: 5,
      byClass: { coordinated: 1, "data-dependent": 1, leveraged: 0, uncoordinated: 3 },
      byCalm: { monotonic: 3, "non-monotonic-guarded": 2, "non-monotonic-unguarded": 0 },
    });
  });

  it("exits 1 when a finding is an error (a likely race), and --quiet shows only the errors", () => {
    const fixture = path.join(ROOT, "fixtures/calm-signup-prisma");
    const full = coordlint([fixture, "--no-color"]);
    expect(full.code).toBe(1);
    expect(full.stdout).toContain("\nfindings\n  warning  src/services/order-service.ts:6:19  This transaction (PrismaClient.$transaction) holds only monotonic operations");
    expect(full.stdout).toMatch(/\n {2}error {4}src\/services\/signup-service\.ts:13:23 {2}Check-then-act: .*\(duplicate\)\. .* {2}calm\/unguarded-non-monotonic\n/);
    expect(full.stdout).toContain("\n7 findings: 3 errors, 4 warnings\n");
    const quiet = coordlint([fixture, "--no-color", "--quiet"]);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).not.toContain("  warning  ");
    expect(quiet.stdout).toContain("\n3 findings: 3 errors\n");
  });

  it("exits 1 past --max-warnings, 0 at or under it, and 2 for a value that is not a whole number", () => {
    const over = coordlint([EXAMPLE, "--max-warnings", "0", "--no-color"]);
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("coordlint: 1 warning finding, more than --max-warnings 0\n");
    const within = coordlint([EXAMPLE, "--max-warnings", "1", "--no-color"]);
    expect(within.code).toBe(0);
    expect(within.stderr).toBe("");
    const invalid = coordlint([EXAMPLE, "--max-warnings", "many"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe("error: option '--max-warnings <n>' argument 'many' is invalid. expected a whole number, 0 or more\n");
  });

  it("takes finding severities from the configuration file: a race set to warn no longer fails the run", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-rules-"));
    const config = path.join(dir, "coordlint.config.jsonc");
    fs.writeFileSync(config, '{\n  // accepted for now\n  "rules": { "calm/unguarded-non-monotonic": "warn", "calm/unneeded-coordination": "off" }\n}\n');
    const fixture = path.join(ROOT, "fixtures/calm-signup-prisma");
    const { code, stdout } = coordlint([fixture, "-c", config, "--no-color"]);
    expect(code).toBe(0);
    expect(stdout).toContain("\n6 findings: 6 warnings\n");
    expect(stdout).not.toContain("calm/unneeded-coordination");
    fs.writeFileSync(config, '{ "rules": { "calm/unguarded-non-monotonic": "fatal" } }');
    const invalid = coordlint([fixture, "-c", config]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(`coordlint: Invalid config file ${config} at /rules/calm~1unguarded-non-monotonic: must be equal to one of the allowed values\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 1 when a handler is over its budget, naming the budget, the class and the site", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-budget-"));
    const config = path.join(dir, "coordlint.config.json");
    fs.writeFileSync(config, JSON.stringify({ budgets: [{ handlers: "*", max: "data-dependent" }, { handlers: "GET *", max: "uncoordinated" }], rules: { "fanout/all-shards": "off" } }));
    const { code, stdout } = coordlint([EXAMPLE, "-c", config, "--no-color"]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "\n  error    src/routes/orders.ts:7:1  POST /orders is coordinated (O(N·W)), over its budget budgets[0] (handlers \"*\"), which allows at most data-dependent: LockService.withLock (lock) at src/services/order-service.ts:11 puts it there. Remove the coordination, or raise the budget for this handler with a reason.  budget/exceeded\n",
    );
    expect(stdout).toContain(
      "\n  error    src/routes/reports.ts:6:1  GET /reports/sales is data-dependent (O(W)…O(N·W)), over its budget budgets[1] (handlers \"GET *\"), which allows at most uncoordinated: Promise.all (fanout) at src/controllers/reports.ts:7 puts it there. Remove the coordination, or raise the budget for this handler with a reason.  budget/exceeded\n",
    );
    expect(stdout).toContain("\n2 findings: 2 errors\n");
    fs.writeFileSync(config, JSON.stringify({ budgets: [{ handlers: "*", max: "coordinated" }] }));
    expect(coordlint([EXAMPLE, "-c", config]).code).toBe(0);
    fs.writeFileSync(config, JSON.stringify({ budgets: [{ handlers: "*", max: "serialised" }] }));
    const invalid = coordlint([EXAMPLE, "-c", config]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(`coordlint: Invalid config file ${config} at /budgets/0/max: must be equal to one of the allowed values\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 when every finding is a warning", () => {
    const { code, stdout } = coordlint([EXAMPLE, "--no-color"]);
    expect(code).toBe(0);
    expect(stdout).toContain("\n1 finding: 1 warning\n");
  });

  it("gives byte-identical output on repeated runs", () => {
    const first = coordlint([EXAMPLE, "-f", "json"]).stdout;
    const second = coordlint([EXAMPLE, "-f", "json"]).stdout;
    expect(second).toBe(first);
  });

  it("writes to --output and creates its folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-out-"));
    const target = path.join(dir, "reports", "coordlint.json");
    const { code, stdout } = coordlint([EXAMPLE, "-f", "json", "-o", target]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(JSON.parse(fs.readFileSync(target, "utf8")).summary.handlers).toBe(5);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 with one line for a path that does not exist", () => {
    const { code, stdout, stderr } = coordlint(["no/such/dir"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`coordlint: No such file or directory: ${path.join(ROOT, "no/such/dir")}\n`);
  });

  it("exits 2 for a -p tsconfig that does not exist", () => {
    const { code, stderr } = coordlint(["-p", "missing/tsconfig.json"]);
    expect(code).toBe(2);
    expect(stderr).toBe(`coordlint: Cannot find tsconfig: ${path.join(ROOT, "missing/tsconfig.json")}\n`);
  });

  it("exits 2 for an unknown format", () => {
    const { code, stderr } = coordlint([EXAMPLE, "-f", "xml"]);
    expect(code).toBe(2);
    expect(stderr).toContain("error: option '-f, --format <name>' argument 'xml' is invalid. Allowed choices are json, stylish.");
  });

  it("exits 2 when the output file cannot be written", () => {
    const { code, stderr } = coordlint([EXAMPLE, "-o", path.join(ROOT, "package.json", "x.txt")]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^coordlint: Cannot write .*x\.txt: E[A-Z]+\n$/);
  });

  it("reports a broken tsconfig as an error diagnostic and still analyses its folder (exit 1)", () => {
    const { code, stdout } = coordlint([path.join(CASES, "broken-tsconfig"), "-f", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.diagnostics).toHaveLength(1);
    expect(report.diagnostics[0]).toMatchObject({ severity: "error", file: "tsconfig.json" });
    expect(report.diagnostics[0].message).toMatch(/^Cannot read tsconfig: .*; analysing its folder with default options$/);
    expect(report.handlers.map((h: { name: string }) => h.name)).toEqual(["GET /ping"]);
  });

  it("reports a syntax error as a warning and analyses the rest (exit 0)", () => {
    const { code, stdout } = coordlint([path.join(CASES, "syntax-error"), "-f", "json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.diagnostics).toEqual([
      { severity: "warning", file: "src/broken.ts", line: 2, column: 21, message: "Syntax error: Expression expected.; the rest of the file was analysed" },
    ]);
    expect(report.handlers.map((h: { name: string }) => h.name)).toEqual(["GET /ping"]);
  });

  it("hides warning diagnostics with --quiet", () => {
    const { stdout } = coordlint([path.join(CASES, "syntax-error"), "-f", "json", "--quiet"]);
    expect(JSON.parse(stdout).diagnostics).toEqual([]);
  });

  it("reports a binary file as an error diagnostic (exit 1) and analyses the others", () => {
    const { code, stdout } = coordlint([path.join(CASES, "binary-file"), "-f", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.diagnostics).toEqual([{ severity: "error", file: "src/blob.ts", message: "Not a text file (contains NUL bytes); skipped" }]);
    expect(report.handlers.map((h: { name: string }) => h.name)).toEqual(["GET /ping"]);
  });

  it("analyses a folder of .ts files with no tsconfig", () => {
    const { code, stdout } = coordlint([path.join(CASES, "no-tsconfig"), "-f", "json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.handlers.map((h: { name: string; class: string }) => [h.name, h.class])).toEqual([["POST /jobs/:id/run", "coordinated"]]);
    expect(report.sites[0]).toMatchObject({ rule: "redlock/acquire", file: "server.ts", line: 9, column: 30, resource: { expression: "[`job:${req.params.id}`]", constant: false } });
  });

  it("colours stylish output only when asked or on a terminal", () => {
    expect(coordlint([EXAMPLE]).stdout).not.toContain("\u001b[");
    expect(coordlint([EXAMPLE], { FORCE_COLOR: "1", NO_COLOR: "" }).stdout).toContain("\u001b[");
    expect(coordlint([EXAMPLE, "--color"]).stdout).toContain("\u001b[31m");
    expect(coordlint([EXAMPLE, "--no-color"], { FORCE_COLOR: "1", NO_COLOR: "" }).stdout).not.toContain("\u001b[");
  });

  it("prints its version and help with examples", () => {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    expect(coordlint(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const help = coordlint(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
    expect(help.stdout).toContain("-p, --project <tsconfig>");
  });
});

describe("file selection", () => {
  it("leaves test files and folders out unless --include-tests", () => {
    const dir = path.join(CASES, "with-tests");
    const without = JSON.parse(coordlint([dir, "-f", "json"]).stdout);
    expect(without.summary.files).toBe(1);
    expect(without.handlers.map((h: { name: string }) => h.name)).toEqual(["GET /accounts/:id"]);
    expect(without.sites).toEqual([]);
    const withTests = JSON.parse(coordlint([dir, "-f", "json", "--include-tests"]).stdout);
    expect(withTests.summary.files).toBe(3);
    expect(withTests.handlers.map((h: { name: string }) => h.name)).toEqual(["POST /__reset", "GET /accounts/:id"]);
    expect(withTests.sites.map((s: { rule: string; file: string }) => `${s.rule} ${s.file}`)).toEqual(["pg/advisory-lock src/__tests__/seed.ts", "pg/begin src/app.test.ts"]);
  });

  it("judges skipped folders below the analysed root only (a checkout inside a folder named build still counts)", () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-"));
    const copy = path.join(parent, "build", "orders");
    fs.cpSync(EXAMPLE, copy, { recursive: true });
    const report = JSON.parse(coordlint([copy, "-f", "json"]).stdout);
    expect(report.summary.handlers).toBe(5);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it("analyses several paths under their common root", () => {
    const report = JSON.parse(coordlint([path.join(EXAMPLE, "src/routes"), path.join(EXAMPLE, "src/app.ts"), "-f", "json"]).stdout);
    expect(report.root).toBe(path.join(EXAMPLE, "src"));
    expect(report.handlers.map((h: { id: string }) => h.id)).toEqual(["app.ts#GET /health", "routes/orders.ts#POST /orders", "routes/orders.ts#GET /orders/:id", "routes/orders.ts#POST /orders/:id/cancel", "routes/reports.ts#GET /reports/sales"]);
  });
});

describe("unresolved calls", () => {
  it("counts the calls on a handler's path nothing could resolve and lists the first few", () => {
    // Outside the repository no node_modules is reachable: `shards` (pools built from a split string) has no type.
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-")), "orders");
    fs.cpSync(EXAMPLE, copy, { recursive: true });
    const report = JSON.parse(coordlint([copy, "-f", "json"]).stdout);
    const sales = report.handlers.find((h: { name: string }) => h.name === "GET /reports/sales");
    expect(sales.unresolved).toBe(2);
    expect(sales.unresolvedCalls).toEqual([
      { file: "src/controllers/reports.ts", line: 7, column: 38, call: "shards.map" },
      { file: "src/controllers/reports.ts", line: 7, column: 60, call: "shard.query" },
    ]);
    const stylish = coordlint([copy]).stdout;
    expect(stylish).toContain("2 calls on this path could not be resolved: shards.map src/controllers/reports.ts:7, shard.query src/controllers/reports.ts:7");
    fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  it("resolves every call on the typed example's paths", () => {
    const report = JSON.parse(coordlint([EXAMPLE, "-f", "json"]).stdout);
    expect(report.handlers.map((h: { unresolved: number }) => h.unresolved)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("monorepos", () => {
  const dir = path.join(CASES, "references");
  const handlers = (args: string[]) => JSON.parse(coordlint([...args, "-f", "json"]).stdout).handlers.map((h: { id: string; class: string }) => `${h.id} ${h.class}`);

  it("follows a solution tsconfig's references (-p)", () => {
    expect(handlers(["-p", path.join(dir, "tsconfig.json")])).toEqual(["api/src/server.ts#POST /payouts data-dependent", "jobs/src/nightly.ts#cron 0 3 * * * coordinated"]);
  });

  it("finds nested packages' tsconfigs below a folder", () => {
    expect(handlers([dir])).toEqual(["api/src/server.ts#POST /payouts data-dependent", "jobs/src/nightly.ts#cron 0 3 * * * coordinated"]);
  });
});

describe("configuration", () => {
  const FIXTURE = path.join(ROOT, "fixtures/custom-rules");
  const RULES = path.join(FIXTURE, "coordination-rules/acme-locks.json");
  const rules = (args: string[]) => {
    const result = coordlint([...args, "-f", "json"]);
    expect(result.stderr).toBe("");
    return JSON.parse(result.stdout).sites.map((s: { rule: string }) => s.rule);
  };
  /** A folder outside the repository holding these files. */
  const folder = (files: Record<string, string>): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-config-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };
  const SERVICE = { "src/app.ts": "export const ready = true;\n" };

  it("finds coordlint.config.jsonc in the analysed folder and loads its rule files", () => {
    expect(rules([FIXTURE])).toEqual(["acme-locks/with-lock", "acme-locks/try-acquire"]);
  });

  it("finds the configuration in a folder above the analysed one", () => {
    expect(rules([path.join(FIXTURE, "src")])).toEqual(["acme-locks/with-lock", "acme-locks/try-acquire"]);
  });

  it("stops looking at the repository's root (the folder holding .git)", () => {
    const dir = folder({ "coordlint.config.json": "{ \"unknown\": true }", "repo/.git/HEAD": "ref: refs/heads/main\n", "repo/service/src/app.ts": "export const ready = true;\n" });
    const { code, stderr } = coordlint([path.join(dir, "repo/service")]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ignores configuration files with --no-config", () => {
    expect(rules([FIXTURE, "--no-config"])).toEqual([]);
  });

  it("uses the file named with -c instead of looking for one, its patterns relative to it", () => {
    // The folder's own configuration is broken: with -c it is never read.
    const dir = folder({ ...SERVICE, "coordlint.config.json": "{ \"unknown\": true }" });
    fs.mkdirSync(path.join(dir, "ci"));
    fs.writeFileSync(path.join(dir, "ci/coordlint.json"), JSON.stringify({ ruleFiles: [path.relative(path.join(dir, "ci"), RULES)] }));
    const { code, stderr } = coordlint([dir, "-c", path.join(dir, "ci/coordlint.json")]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(rules([FIXTURE, "-c", path.join(dir, "ci/coordlint.json")])).toEqual(["acme-locks/with-lock", "acme-locks/try-acquire"]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 for a -c file that does not exist", () => {
    expect(coordlint([FIXTURE, "-c", "missing.jsonc"])).toEqual({ code: 2, stdout: "", stderr: `coordlint: Cannot find config file: ${path.join(ROOT, "missing.jsonc")}\n` });
  });

  it.each([
    ["invalid JSONC", { "coordlint.config.jsonc": "{\n  // extra rules\n  \"ruleFiles\": [\"a.json\" \"b.json\"]\n}\n" }, "coordlint.config.jsonc at line 3, column 26: comma expected"],
    ["an unknown key", { "coordlint.config.json": "{ \"rule\": { \"calm/unneeded-coordination\": \"off\" } }" }, "coordlint.config.json: unknown key \"rule\""],
    ["a value of the wrong type", { "coordlint.config.json": "{ \"ruleFiles\": \"./coordination-rules/*.json\" }" }, "coordlint.config.json at /ruleFiles: must be array"],
    ["a ruleFiles pattern matching no files", { "coordlint.config.json": "{ \"ruleFiles\": [\"./coordination-rules/*.json\"] }" }, "coordlint.config.json: ruleFiles pattern \"./coordination-rules/*.json\" matches no files"],
  ])("exits 2 with one line for %s in the configuration", (_what, files, message) => {
    const dir = folder({ ...SERVICE, ...files });
    const file = message.slice(0, message.search(/[: ]/));
    expect(coordlint([dir])).toEqual({ code: 2, stdout: "", stderr: `coordlint: Invalid config file ${path.join(dir, file)}${message.slice(file.length)}\n` });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 naming the rule file when a rule file is invalid or redefines a built-in rule id", () => {
    const bad = path.join(CASES, "bad-rule.json");
    const dir = folder({ ...SERVICE, "coordlint.config.json": JSON.stringify({ ruleFiles: [bad] }) });
    expect(coordlint([dir])).toEqual({ code: 2, stdout: "", stderr: `coordlint: Invalid rule file ${bad} at /sites/0/kind: must be equal to one of the allowed values\n` });
    const redefining = { library: "redlock", description: "x", modules: ["redlock"], sites: [{ id: "redlock/acquire", kind: "lock", api: "Redlock.acquire", description: "x", match: { method: ["acquire"], on: { exports: ["default"] } } }] };
    fs.writeFileSync(path.join(dir, "redlock.json"), JSON.stringify(redefining));
    fs.writeFileSync(path.join(dir, "coordlint.config.json"), JSON.stringify({ ruleFiles: ["redlock.json"] }));
    expect(coordlint([dir])).toEqual({ code: 2, stdout: "", stderr: `coordlint: Invalid rule file ${path.join(dir, "redlock.json")}: rule id "redlock/acquire" is already defined in ${path.join(ROOT, "rules/redlock.json")}\n` });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 when one folder holds both coordlint.config.json and coordlint.config.jsonc", () => {
    const dir = folder({ ...SERVICE, "coordlint.config.json": "{}", "coordlint.config.jsonc": "{}" });
    expect(coordlint([dir])).toEqual({ code: 2, stdout: "", stderr: `coordlint: Found both coordlint.config.json and coordlint.config.jsonc in ${dir}: keep one\n` });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** A fixture copied to a temporary folder, with a way to change its code (each change must find its text). */
function copyOf(fixture: string, prefix: string): { dir: string; edit: (file: string, from: string, to: string) => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(ROOT, "fixtures", fixture), dir, { recursive: true });
  const edit = (file: string, from: string, to: string): void => {
    const target = path.join(dir, file);
    const text = fs.readFileSync(target, "utf8");
    expect(text).toContain(from);
    fs.writeFileSync(target, text.replace(from, to));
  };
  return { dir, edit };
}

describe("inline suppressions", () => {
  /** calm-signup-prisma copied with directives written into it. */
  function withDirectives(config?: string): string {
    const { dir, edit } = copyOf("calm-signup-prisma", "coordlint-suppress-");
    // On the line above the write: suppressed, with its reason.
    edit("src/services/signup-service.ts", "    return this.users.create(email, name);\n  }\n\n  /** The unique", "    // coordlint-disable-next-line calm/unguarded-non-monotonic -- the identity provider rejects a second account per email\n    return this.users.create(email, name);\n  }\n\n  /** The unique");
    // No reason: suppresses nothing, and says so.
    edit("src/services/wallet-service.ts", "    return this.accounts.debit(id, amount);\n  }", "    // coordlint-disable-next-line calm/unguarded-non-monotonic\n    return this.accounts.debit(id, amount);\n  }");
    // Above the only handler that reaches the finding.
    edit("src/routes/app.ts", 'app.post("/accounts/:id/withdraw/transaction"', '// coordlint-disable-next-line calm/unguarded-non-monotonic -- retried on a serialization failure upstream\napp.post("/accounts/:id/withdraw/transaction"');
    // A file-level directive with nothing to suppress.
    edit("src/services/order-service.ts", 'import { prisma } from "../db";', '/* coordlint-disable fanout/all-shards -- no fan-out here */\nimport { prisma } from "../db";');
    if (config) fs.writeFileSync(path.join(dir, "coordlint.config.json"), config);
    return dir;
  }

  it("keeps suppressed findings in the JSON report with their reason, fails only on the rest, and reports unused and reasonless directives", () => {
    const dir = withDirectives();
    const json = coordlint([dir, "-f", "json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    const races = report.findings.filter((f: { rule: string }) => f.rule === "calm/unguarded-non-monotonic");
    expect(races.map((f: { file: string; line: number; suppressions?: unknown }) => [`${f.file}:${f.line}`, f.suppressions ?? null])).toEqual([
      ["src/services/signup-service.ts:14", [{ kind: "inSource", justification: "the identity provider rejects a second account per email" }]],
      ["src/services/wallet-service.ts:14", null],
      ["src/services/wallet-service.ts:27", [{ kind: "inSource", justification: "retried on a serialization failure upstream" }]],
    ]);
    expect(report.diagnostics).toEqual([
      { severity: "warning", file: "src/services/order-service.ts", line: 1, column: 1, message: "Unused coordlint-disable directive (no fanout/all-shards in this file)" },
      { severity: "warning", file: "src/services/wallet-service.ts", line: 13, column: 5, message: "coordlint-disable directive without a reason: write one after `--` (it suppresses nothing until then)" },
    ]);
    const stylish = coordlint([dir, "--no-color"]);
    expect(stylish.stdout).toContain("\n5 findings: 1 error, 4 warnings, 2 suppressed\n");
    expect(stylish.stdout).not.toContain("src/services/signup-service.ts:14:");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lets a directive without a reason suppress when the configuration does not require one", () => {
    const dir = withDirectives('{ "suppressions": { "requireReason": false } }');
    const { code, stdout } = coordlint([dir, "--no-color"]);
    expect(code).toBe(0);
    expect(stdout).toContain("\n4 findings: 4 warnings, 3 suppressed\n");
    expect(stdout).not.toContain("without a reason");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("package.json configuration", () => {
  it("reads a `coordlint` key in package.json, and refuses one beside a configuration file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-pkg-"));
    fs.cpSync(path.join(ROOT, "fixtures/calm-signup-prisma"), dir, { recursive: true });
    fs.mkdirSync(path.join(dir, ".git"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "svc", coordlint: { rules: { "calm/unguarded-non-monotonic": "off" } } }));
    const { code, stdout } = coordlint([dir, "--no-color"]);
    expect(code).toBe(0);
    expect(stdout).toContain("\n4 findings: 4 warnings\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "svc", coordlint: { rules: { "calm/unguarded-non-monotonic": "never" } } }));
    const invalid = coordlint([dir]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(`coordlint: Invalid config in ${path.join(dir, "package.json")} ("coordlint" key) at /rules/calm~1unguarded-non-monotonic: must be equal to one of the allowed values\n`);
    fs.writeFileSync(path.join(dir, "coordlint.config.json"), "{}");
    const both = coordlint([dir]);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(`coordlint: Found both coordlint.config.json and a "coordlint" key in package.json in ${dir}: keep one\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("baseline", () => {
  it("hides today's findings, fails a new one, survives moved code, reports entries that no longer occur, and prunes them", () => {
    const { dir, edit } = copyOf("calm-signup-prisma", "coordlint-baseline-");
    const baselineFile = path.join(dir, "coordlint-baseline.json");

    const written = coordlint([dir, "--write-baseline"]);
    expect(written.code).toBe(0);
    expect(written.stderr).toBe(`coordlint: wrote 7 findings to ${baselineFile}\n`);
    const baseline = JSON.parse(fs.readFileSync(baselineFile, "utf8"));
    expect(Object.keys(baseline.findings)).toContain("calm/unguarded-non-monotonic | src/services/wallet-service.ts | WalletService.withdraw | prisma.<model>.update");

    const clean = coordlint([dir, "--no-color"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("\n0 findings: 7 in the baseline\n");

    // Code moved down a few lines: fingerprints have no line numbers.
    edit("src/services/wallet-service.ts", "export class WalletService {", "\n\n\nexport class WalletService {");
    expect(coordlint([dir, "--no-color"]).code).toBe(0);

    // A new race fails; an old one fixed leaves a stale entry.
    edit("src/services/signup-service.ts", "  /** The unique index", "  async signUpAgain(email: string, name: string) {\n    const existing = await this.users.findByEmail(email);\n    if (existing) throw new ConflictError(email);\n    return this.users.create(email, name);\n  }\n\n  /** The unique index");
    edit("src/services/wallet-service.ts", "    if (account.balance < amount) throw new Error(\"insufficient funds\");\n    return this.accounts.debit(id, amount);", "    return this.accounts.debitIfCovered(id, amount);");
    const next = coordlint([dir, "-f", "json"]);
    expect(next.code).toBe(1);
    const report = JSON.parse(next.stdout);
    expect(report.findings.filter((f: { suppressions?: unknown }) => !f.suppressions).map((f: { rule: string; function: string }) => `${f.rule} ${f.function}`)).toEqual(["calm/unguarded-non-monotonic SignupService.signUpAgain"]);
    expect(report.diagnostics).toEqual([
      { severity: "warning", file: "src/services/wallet-service.ts", message: "Baseline entry no longer occurs (1 of 1): calm/unguarded-non-monotonic in WalletService.withdraw (prisma.<model>.update); --prune-baseline removes it" },
    ]);

    const pruned = coordlint([dir, "--prune-baseline"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toBe(`coordlint: pruned 1 finding from ${baselineFile}\n`);
    expect(Object.keys(JSON.parse(fs.readFileSync(baselineFile, "utf8")).findings)).toHaveLength(6);
    expect(JSON.parse(coordlint([dir, "-f", "json"]).stdout).diagnostics).toEqual([]);

    // --no-baseline shows everything; a named baseline that does not exist is a usage error.
    expect(coordlint([dir, "--no-baseline", "--no-color"]).stdout).toContain("\n7 findings: 3 errors, 4 warnings\n");
    const missing = coordlint([dir, "--baseline", "nope.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`coordlint: Cannot find baseline file: ${path.join(ROOT, "nope.json")}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
