// Show how the tool's verdicts for a fixture differ from its expected.json.
import fs from "node:fs";
import { analyze } from "/work/main/dist/index.js";
const name = process.argv[2];
const dir = `/work/main/fixtures/${name}`;
const exp = JSON.parse(fs.readFileSync(`${dir}/expected.json`, "utf8"));
const r = await analyze({ paths: [dir] });
const got = { handlers: r.handlers.map(({ unresolved, unresolvedCalls, ...h }) => h), sites: r.sites };
const key = (x) => JSON.stringify(x);
const siteKey = (s) => `${s.file}:${s.line}:${s.column} ${s.rule} ${s.api} fn=${s.function}${s.via ? " via " + s.via.file + ":" + s.via.line : ""}${s.resource ? " res=" + s.resource.expression + (s.resource.constant ? " const" : "") : ""}${s.isolation ? " iso=" + s.isolation : ""}`;
const es = new Set(exp.sites.map(siteKey)), gs = new Set(got.sites.map(siteKey));
for (const s of gs) if (!es.has(s)) console.log("+ site", s);
for (const s of es) if (!gs.has(s)) console.log("- site", s);
const eh = new Map(exp.handlers.map((h) => [h.id, h]));
for (const h of got.handlers) {
  const e = eh.get(h.id);
  if (!e) { console.log("+ handler", h.id, h.class); continue; }
  if (key(e) !== key(h)) {
    console.log("~ handler", h.id, e.class, "->", h.class);
    const ev = (x) => x.evidence.map((v) => `${v.api}@${v.file}:${v.line}:${v.column} [${v.path.map((p) => p.function + ":" + p.line).join(" > ")}]`);
    const a = new Set(ev(e)), b = new Set(ev(h));
    for (const x of b) if (!a.has(x)) console.log("    + ev", x);
    for (const x of a) if (!b.has(x)) console.log("    - ev", x);
  }
  eh.delete(h.id);
}
for (const id of eh.keys()) console.log("- handler", id);
if (process.argv[3] === "--write") {
  fs.writeFileSync(`${dir}/expected.json`, JSON.stringify({ ...exp, handlers: got.handlers, sites: got.sites }, null, 2) + "\n");
  console.log("written");
}
