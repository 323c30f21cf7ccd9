// Generate the coverage docs from the finder table and the rule files, so they cannot drift: `node scripts/generate-docs.mjs [--check]`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FINDERS } from "../dist/handlers/table.js";
import { builtinRuleFiles } from "../dist/sites/rules.js";
import { COST, KIND_CLASS, SITE_KINDS } from "../dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function frameworksDoc() {
  const rows = [...FINDERS]
    .sort((a, b) => a.title.localeCompare(b.title))
    .map((f) => `| ${f.title} | \`${f.framework}\` | ${f.modules.length > 0 ? f.modules.map((m) => `\`${m}\``).join(", ") : "always (file and export conventions)"} | ${f.describe.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  return [
    "# Supported frameworks",
    "",
    "Generated from `src/handlers/table.ts` by `npm run docs`; do not edit by hand.",
    "",
    "Every registration below is also found when the project makes it through its own helpers (`src/handlers/forwarded.ts`): a registration whose function the enclosing helper receives (a parameter, a property of one, a name destructured from one, or the argument of a wrapper such as `asyncHandler(handler)`) is reported once per call of that helper, through any number of helper layers and files, located at the call and named from the values given there (`post(\"/orders\", createOrder)` → `POST /api/orders`). A loop over a literal array (`for (const r of routes)`, `routes.forEach((r) => …)`, through consts, imports, spreads and identity helpers such as `defineRoute({ … })`) gives one handler per element, located at the element. A helper nobody calls, or a loop over values not written in the code, keeps its registration, with `*` for what only its callers know ([decisions](decisions.md)).",
    "",
    "| framework | id | enabled by importing | how handlers are found and named |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function ruleFiles() {
  return builtinRuleFiles().map((file) => ({ file: path.basename(file), data: JSON.parse(fs.readFileSync(file, "utf8")) }));
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading) => heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
const rulePage = (id) => `docs/rules/${id}.md`;
const cell = (text) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (names) => names.map((n) => `\`${n}\``).join(", ");
const link = (from, to) => path.posix.relative(path.posix.dirname(from), to);

export function rulesDoc() {
  const files = ruleFiles();
  const kinds = SITE_KINDS;
  const matrix = files.map(({ data }) => `| [${data.library}](#${anchor(data.library)}) | ${kinds.map((k) => (data.sites ?? []).filter((s) => s.kind === k).length || "").join(" | ")} | ${(data.operations ?? []).length || ""} |`);
  const details = files.flatMap(({ file, data }) => [
    `## ${data.library}`,
    "",
    `${data.description} Modules: ${data.modules.length > 0 ? code(data.modules) : "language built-ins"}.${data.sites.some((s) => s.match.sql) ? ` SQL parsed as ${data.sqlDialect ?? "PostgreSQL, then MySQL"}.` : ""} Source: [\`rules/${file}\`](../rules/${file})${data.docs ? `; API: ${data.docs}` : ""}.`,
    "",
    "| rule | kind | api | what it matches |",
    "|---|---|---|---|",
    ...data.sites.map((s) => `| [\`${s.id}\`](${link("docs/rules.md", rulePage(s.id))}) | ${s.kind}${s.delivery ? " (delivery)" : ""} | \`${s.api}\` | ${cell(s.description)} |`),
    "",
    ...((data.operations ?? []).length > 0
      ? [
          "State operations (for CALM, [calm.md](calm.md)):",
          "",
          "| operation | effect | api | what it matches |",
          "|---|---|---|---|",
          ...data.operations.map((o) => `| \`${o.id}\` | ${o.effect === "sql" ? "from the SQL statement" : o.effect} | \`${o.api}\` | ${cell(o.description)} |`),
          "",
        ]
      : []),
  ]);
  return [
    "# The coordination knowledge base",
    "",
    "Generated from `rules/*.json` by `npm run docs`; do not edit by hand.",
    "",
    `Rules per library and site kind (${files.reduce((n, { data }) => n + (data.sites ?? []).length, 0)} site rules and ${files.reduce((n, { data }) => n + (data.operations ?? []).length, 0)} operation rules in ${files.length} libraries). Each rule has a page under [docs/rules/](rules/): what it matches, why it matters on the spectrum, an example from a fixture, and how to avoid the coordination.`,
    "",
    `| library | ${kinds.join(" | ")} | operations |`,
    `|---|${kinds.map(() => "---").join("|")}|---|`,
    ...matrix,
    "",
    ...details,
  ].join("\n");
}

/** Why a site of each kind matters on the spectrum (SPECTRUM.md §1, §2, §4, §5). */
const WHY = {
  lock: "Every request that reaches it takes a lock that all instances share, so they run one at a time on the lock's key: the work of the lock service grows with offered work times nodes. When the key is the same for every request (one lock name, one counter row) the lock is a global serialisation point and a hot spot; a key derived from the request contends only per key.",
  "local-lock": "An in-process mutex, semaphore or file lock guards shared state only while the service runs as a single instance: a hidden single-node assumption. Run two instances and the state it guards is no longer protected; keep one and every request that needs it queues on that one node.",
  consensus: "A write, compare-and-swap or linearizable read on a consensus store (etcd, ZooKeeper, Consul) goes through its leader and a quorum of replicas on every request, so the group works in lock-step with the requests that reach it.",
  transaction: "An explicit transaction scope makes the handler data-dependent however few statements it holds, read-only ones included: the scope is the coordination the handler pays for. It costs O(W) while its rows sit in one partition and up to O(N·W) when they span partitions, and its isolation level decides whether it can stay available (HAT: read committed can, snapshot and serializable cannot).",
  "row-lock": "A row lock (`SELECT … FOR UPDATE` and its ORM forms) makes other requests touching the same rows wait until the holder's transaction ends. Rows keyed by the request contend only per key; one row locked by every request (a cursor, a config or counter row) is a global serialisation point.",
  "cross-shard-query": "A query that is not confined to one partition key (a scan, a cross-partition read or update) has to visit every partition: its cost grows with the data's spread across nodes, not only with the request.",
  fanout: "A request that fans out to every shard does O(N) work per request. Fan-out that needs every shard (`Promise.all`) fails or waits with the slowest shard; fan-out that can answer with a subset (`Promise.allSettled`, per-shard timeouts) trades harvest for yield.",
  lease: "A lease amortises coordination over many requests: it is granted once, renewed in the background and checked from a local copy, so the happy path is O(W) and coordination is paid again only on expiry, failover or rebalancing.",
  leader: "Leadership is won once through an election and then checked locally: the happy path is O(W), and coordination is paid again on failover.",
  "batch-alloc": "A block of ids or budget reserved from a shared counter. Reserved on every call, the counter is a global serialisation point (coordinated); reserved only when the local block runs out (the `budget-exhausted` shape in [leveraged.md](../../leveraged.md)), the cost is amortised and the handler is leveraged.",
  "non-monotonic": "Retractions (deletes, overwrites, expiries), absence checks and threshold decisions are non-monotonic under CALM: they are correct only when coordination guards them. The site does not raise the handler's class by itself; with nothing guarding it, it is a likely race (lost update, double spend, duplicate signup).",
};

/** How to fix or avoid the coordination of each kind, grounded in SPECTRUM.md. */
const FIX = {
  lock: "Make the guarded operation monotonic so it needs no lock: commutative increments, appends and inserts with fresh ids, idempotent writes. Where exclusion is needed, key the lock by the request (`lock:order:${id}`) rather than one global name, or replace it with a single-key conditional write. Work that must run alone belongs to a lease or a leader checked from a local flag, off the request path; a global counter can become per-entity counters or id blocks allocated in batches.",
  "local-lock": "Decide whether the state is really per-process (a cache, a connection pool): then the lock is fine. If it guards shared state, make the operation commutative or idempotent, or move the guarantee to the shared store as a single-key conditional write; if exclusion across instances is truly needed it is a distributed lock (kind `lock`), so say so explicitly rather than relying on one instance.",
  consensus: "Keep consensus off the per-request path: watch configuration and read it from a local copy, win leadership or a lease once and check it locally, and write to the consensus store only on start-up, failover or configuration change. Data written per request belongs in a partitioned store.",
  transaction: "Narrow the scope to the statements that must be atomic, and drop it when it guards only monotonic work (inserts with fresh ids, appends, commutative increments). A write of one aggregate in one statement, or a single-row conditional write, touches one partition key and needs no multi-statement transaction. Ask for the weakest isolation level that is correct (read committed is highly available; snapshot and serializable are not).",
  "row-lock": "Replace lock-then-write with one conditional statement (`UPDATE … SET stock = stock - $n WHERE id = $1 AND stock >= $n`) or an optimistic version check (`WHERE version = $v`, retry on no match). For work queues, `FOR UPDATE SKIP LOCKED` lets workers take different rows instead of queueing behind one. Never lock one row shared by every request.",
  "cross-shard-query": "Query by the partition key, or keep a projection keyed by what the request looks up, updated as each write happens. Scans and cross-partition updates belong in batch jobs, off the request path.",
  fanout: "Route the request to the shard that owns its key. When every shard must answer, precompute the aggregate, or accept a partial answer (`Promise.allSettled` with per-shard timeouts) so one slow shard does not hold the request.",
  lease: "Already leveraged: keep the request path reading the locally cached grant and renewal in the background, with a lease long enough that failover stays rare. Delivery leases (a queue worker's per-job lock, a consumer group) are the framework's machinery and need no change.",
  leader: "Already leveraged: check leadership from a local flag kept up to date by the election or observer, and put only leader-only work (scheduling, compaction) behind it, never a per-request call to the election.",
  "batch-alloc": "Allocate a block only when the local one runs out and keep it in long-lived state (an instance field or module variable), so one counter update serves many requests; or use fresh ids (UUIDs) that need no counter at all.",
  "non-monotonic": "Express the logic monotonically where possible: append-only records and tombstones instead of deletes and overwrites, commutative increments instead of read-then-write, fresh ids instead of uniqueness checks, merges by max, min or set union (CRDT style). Where a retraction or a threshold check is essential, guard it with coordination scoped to the one key (a conditional write or version check), not a global lock.",
};

const SQL_FEATURES = {
  begin: "`BEGIN` / `START TRANSACTION`",
  "set-isolation": "`SET TRANSACTION ISOLATION LEVEL`",
  "for-update": "`SELECT … FOR UPDATE`",
  "for-share": "`SELECT … FOR SHARE`",
  "lock-table": "`LOCK TABLE(S)`",
  "advisory-lock": "an advisory or named lock (`pg_advisory_lock`, `GET_LOCK`)",
  delete: "`DELETE`",
  "counter-update": "an increment of a counter row (`UPDATE … SET value = value + 1`)",
};

function receiverText(receiver, modules) {
  if (receiver.any) return `any value, when the project imports ${modules}`;
  const made = receiver.exports ? ` made from ${code(receiver.exports)}${receiver.forms ? ` (${receiver.forms.join(", ")})` : ""}` : "";
  const typed = receiver.types ? `${made ? " or" : ""} typed ${code(receiver.types)}` : "";
  return `values of ${modules}${made}${typed}`;
}

function argsText(args) {
  const parts = [];
  if (args.literal) parts.push(`a string argument equal to ${code(args.literal)}`);
  if (args.property) parts.push(`an option ${code(args.property)}${args.propertyValue ? ` set to ${code(args.propertyValue)}` : ""}${args.propertyMember ? ` set to ${code(args.propertyMember)}` : ""}${args.propertyPattern ? ` whose text matches \`${args.propertyPattern}\`` : ""}`);
  if (args.propertyPath) parts.push(`an option path ${code(args.propertyPath)}`);
  if (args.member) parts.push(`an argument ${code(args.member)}`);
  if (args.iterates) parts.push(`a first argument mapping over a collection named like \`${args.iterates}\``);
  if (args.resultCached !== undefined) parts.push(args.resultCached ? "its result kept across requests" : "its result not kept across requests");
  if (args.constantResource !== undefined) parts.push(args.constantResource ? "a resource that is the same for every request" : "a resource that varies per request");
  if (args.minArgs !== undefined) parts.push(`at least ${args.minArgs} arguments`);
  if (args.unlessChained) parts.push(`its result not chained to ${code(args.unlessChained)}`);
  if (args.not) parts.push(`not ${argsText(args.not)}`);
  return parts.join(", ");
}

const ORDINALS = ["first", "second", "third", "fourth", "fifth"];

function valueRefText(ref) {
  const parts = [];
  if (ref.argument !== undefined) parts.push(`the ${ORDINALS[ref.argument] ?? `${ref.argument + 1}th`} argument`);
  if (ref.property) parts.push(`option \`${ref.property}\``);
  if (ref.chained) parts.push(`the argument of a chained \`${ref.chained}()\``);
  return parts.join(", ");
}

function matchText(rule, data) {
  const m = rule.match;
  const modules = data.modules.length > 0 ? code(data.modules) : "the language";
  const lines = [];
  if (m.method && m.on) lines.push(`calls of ${code(m.method)} on ${receiverText(m.on, modules)}`);
  if (m.method && m.global) lines.push(`calls of ${code(m.method.map((n) => `${m.global}.${n}`))}`);
  if (m.function) lines.push(`calls of the export${m.function.length > 1 ? "s" : ""} ${code(m.function)} of ${modules}`);
  if (m.decorator) lines.push(`the decorator${m.decorator.length > 1 ? "s" : ""} ${code(m.decorator.map((n) => `@${n}`))} of ${modules}`);
  if (m.called) lines.push(`calls (or template tags) of ${receiverText(m.called, modules)}`);
  if (m.sql) lines.push(`whose SQL text holds ${m.sql.map((f) => SQL_FEATURES[f]).join(" or ")}`);
  if (m.lua) lines.push(`running a Lua script of class ${code(m.lua)}${rule.script ? ` (script: ${valueRefText(rule.script)})` : ""}`);
  if (m.args) lines.push(`with ${argsText(m.args)}`);
  if (rule.defines) lines.push(`defined as a script command: the sites are the calls of that command${rule.defines.methods ? ` (${code(rule.defines.methods)})` : ""}`);
  const facts = [`- Match: ${lines.join("; ")}.`];
  if (rule.resource) facts.push(`- Resource (the key, name or row it coordinates on): ${valueRefText(rule.resource)}.`);
  if (rule.isolation) facts.push(`- Isolation level: ${valueRefText(rule.isolation)}.`);
  if (rule.held) facts.push(`- The lock stays held after the call returns (held by the ${rule.held === "key" ? "key itself" : "returned handle"}): a function that leaves it held is a lock wrapper, and its callers are the sites.`);
  if (rule.delivery) facts.push("- Delivery machinery: reported as a site, never raises a handler's class.");
  return facts;
}

/** Fixture sites per rule id, fixtures sorted by name. */
function fixtureSites() {
  const sites = new Map();
  const dir = path.join(root, "fixtures");
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, "expected.json");
    if (!fs.existsSync(file)) continue;
    for (const site of JSON.parse(fs.readFileSync(file, "utf8")).sites) {
      if (!sites.has(site.rule)) sites.set(site.rule, []);
      sites.get(site.rule).push({ fixture: name, ...site });
    }
  }
  return sites;
}

function example(page, rule, sites) {
  const candidates = sites.get(rule.id) ?? [];
  // A site at the primitive itself shows the API better than a use of a project's wrapper around it.
  const site = candidates.find((s) => s.api === rule.api) ?? candidates[0];
  if (!site) return ["No fixture exercises this rule."];
  const source = fs.readFileSync(path.join(root, "fixtures", site.fixture, site.file), "utf8").split(/\r?\n/);
  const first = Math.max(1, site.line - 2);
  const shown = source.slice(first - 1, Math.min(source.length, site.line + 2));
  while (shown[0].trim() === "") shown.shift();
  while (shown.at(-1).trim() === "") shown.pop();
  const indent = Math.min(...shown.filter((l) => l.trim() !== "").map((l) => l.match(/^\s*/)[0].length));
  const target = `fixtures/${site.fixture}/${site.file}`;
  return [
    `From [\`${target}\`](${link(page, target)}#L${site.line}), line ${site.line}, column ${site.column}${site.function === "<module>" ? ", at module level" : site.function ? `, in \`${site.function}\`` : ""} (reported as \`${site.api}\`):`,
    "",
    `\`\`\`${/\.[cm]?jsx?$/.test(site.file) ? "js" : "ts"}`,
    ...shown.map((l) => l.slice(indent).trimEnd()),
    "```",
  ];
}

/** One short page per rule: docs/rules/<library>/<name>.md, keyed by path. */
export function rulePages() {
  const sites = fixtureSites();
  const pages = {};
  for (const { file, data } of ruleFiles()) {
    for (const rule of data.sites) {
      const page = rulePage(rule.id);
      const klass = KIND_CLASS[rule.kind];
      pages[page] = [
        `# \`${rule.id}\``,
        "",
        `Generated from [\`rules/${file}\`](${link(page, `rules/${file}`)}) by \`npm run docs\`; do not edit by hand. Library: [${data.library}](${link(page, "docs/rules.md")}#${anchor(data.library)}).`,
        "",
        "## What it matches",
        "",
        `\`${rule.api}\`, kind \`${rule.kind}\`. ${rule.description}`,
        "",
        ...matchText(rule, data),
        "",
        "## Why it matters",
        "",
        `Kind \`${rule.kind}\`: ${rule.delivery ? "never raises a handler's class (delivery machinery)" : rule.kind === "non-monotonic" ? "a CALM finding, it does not raise a handler's class" : `puts a handler in \`${klass}\`, ${COST[klass]}`}. ${WHY[rule.kind]}`,
        "",
        "## Example",
        "",
        ...example(page, rule, sites),
        "",
        "## How to avoid the coordination",
        "",
        FIX[rule.kind],
        "",
        `[All rules](${link(page, "docs/rules.md")})`,
        "",
      ].join("\n");
    }
  }
  return pages;
}

/** Every generated file, keyed by its path from the repository root. */
export function generatedDocs() {
  return { "docs/frameworks.md": frameworksDoc(), "docs/rules.md": rulesDoc(), ...rulePages() };
}

/** The files now under docs/rules/, so that pages of removed rules do not linger. */
export function existingRulePages() {
  const dir = path.join(root, "docs/rules");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const check = process.argv.includes("--check");
  const docs = generatedDocs();
  const stale = existingRulePages().filter((file) => !(file in docs));
  let outdated = false;
  for (const file of stale) {
    if (check) {
      console.error(`${file} belongs to no rule: run npm run docs`);
      outdated = true;
    } else {
      fs.rmSync(path.join(root, file));
    }
  }
  for (const [file, text] of Object.entries(docs)) {
    const target = path.join(root, file);
    if (check) {
      if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) {
        console.error(`${file} is out of date: run npm run docs`);
        outdated = true;
      }
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
    }
  }
  if (!check) removeEmptyFolders(path.join(root, "docs/rules"));
  process.exitCode = outdated ? 1 : 0;
}

function removeEmptyFolders(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyFolders(path.join(dir, entry.name));
  }
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}
