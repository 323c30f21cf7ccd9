// Generate the coverage docs from the finder table and the rule files, so they cannot drift: `node scripts/generate-docs.mjs [--check]`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FINDERS } from "../dist/handlers/table.js";
import { builtinRuleFiles } from "../dist/sites/rules.js";
import { SITE_KINDS } from "../dist/index.js";

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

export function rulesDoc() {
  const files = builtinRuleFiles().map((file) => ({ file: path.basename(file), data: JSON.parse(fs.readFileSync(file, "utf8")) }));
  const kinds = SITE_KINDS;
  const matrix = files.map(({ data }) => `| ${data.library} | ${kinds.map((k) => data.sites.filter((s) => s.kind === k).length || "").join(" | ")} |`);
  const details = files.flatMap(({ file, data }) => [
    `## ${data.library}`,
    "",
    `${data.description} Modules: ${data.modules.length > 0 ? data.modules.map((m) => `\`${m}\``).join(", ") : "language built-ins"}.${data.sites.some((s) => s.match.sql) ? ` SQL parsed as ${data.sqlDialect ?? "PostgreSQL, then MySQL"}.` : ""} Source: [\`rules/${file}\`](../rules/${file})${data.docs ? `; API: ${data.docs}` : ""}.`,
    "",
    "| rule | kind | api | what it matches |",
    "|---|---|---|---|",
    ...data.sites.map((s) => `| \`${s.id}\` | ${s.kind}${s.delivery ? " (delivery)" : ""} | \`${s.api}\` | ${s.description.replace(/\|/g, "\\|")} |`),
    "",
  ]);
  return [
    "# The coordination knowledge base",
    "",
    "Generated from `rules/*.json` by `npm run docs`; do not edit by hand.",
    "",
    "Sites per library and kind:",
    "",
    `| library | ${kinds.join(" | ")} |`,
    `|---|${kinds.map(() => "---").join("|")}|`,
    ...matrix,
    "",
    ...details,
  ].join("\n");
}

const outputs = { "docs/frameworks.md": frameworksDoc, "docs/rules.md": rulesDoc };

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const check = process.argv.includes("--check");
  let stale = false;
  for (const [file, make] of Object.entries(outputs)) {
    const target = path.join(root, file);
    const text = make();
    if (check) {
      if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) {
        console.error(`${file} is out of date: run npm run docs`);
        stale = true;
      }
    } else {
      fs.writeFileSync(target, text);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
