// The programmatic API: run the pipeline (load → scan → handlers → sites → calls → classify) and return the report.
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ormHookTargets } from "./calls/hooks.js";
import { buildCallGraph, type Reachable } from "./calls/summaries.js";
import { classifier } from "./classify/spectrum.js";
import { findHandlers, type FoundHandler } from "./handlers/find.js";
import { loadCode } from "./load/project.js";
import { compareLocations, SPECTRUM_CLASSES, type Report, type SpectrumClass } from "./model/report.js";
import { buildIndex } from "./scan/code-index.js";
import { Resolver } from "./scan/resolve.js";
import { detectSites } from "./sites/detect.js";
import { builtinRuleFiles, loadRules } from "./sites/rules.js";
import { addWrapperSites } from "./sites/wrappers.js";

export interface AnalyzeOptions {
  /** Files or directories to analyse (default: the working directory). */
  paths?: string[];
  /** A tsconfig to load instead of discovering them. */
  project?: string;
  /** Directory relative paths are resolved against (default: `process.cwd()`). */
  cwd?: string;
  /** Extra rule files in the knowledge-base format, loaded after the built-in ones. */
  ruleFiles?: string[];
  /** Analyse test files and folders too (left out by default). */
  includeTests?: boolean;
  /** Called with each pipeline stage's wall time (for `--timing`). */
  onStage?: (stage: string, milliseconds: number) => void;
}

export const VERSION: string = (JSON.parse(fs.readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { version: string }).version;

export async function analyze(options: AnalyzeOptions = {}): Promise<Report> {
  const stage = <T>(name: string, run: () => T): T => {
    const start = performance.now();
    const result = run();
    options.onStage?.(name, performance.now() - start);
    return result;
  };
  const rules = stage("rules", () => loadRules([...builtinRuleFiles(), ...(options.ruleFiles ?? [])]));
  const code = stage("load", () => loadCode({ paths: options.paths ?? [], project: options.project, cwd: options.cwd ?? process.cwd(), includeTests: options.includeTests }));
  const index = stage("scan", () => buildIndex(code));
  const resolver = new Resolver(index);
  const found = stage("handlers", () => findHandlers(index, resolver));
  const { sites: detected, contained } = stage("sites", () => addWrapperSites(index, resolver, detectSites(index, resolver, rules), found));
  const siteItems: Reachable[] = detected.map((d) => ({ unit: d.unit, node: d.node, pos: d.node.getStart(), line: d.site.line }));
  const graph = stage("calls", () => buildCallGraph(index, resolver, siteItems, contained, ormHookTargets(index, resolver), registeredCallbacks(found)));
  const handlers = stage("classify", () => found.map(classifier({ sites: detected, graph, relative: code.relative })));

  const sites = detected.map((d) => d.site).sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule }));
  const byClass = Object.fromEntries(SPECTRUM_CLASSES.map((c) => [c, 0])) as Record<SpectrumClass, number>;
  for (const handler of handlers) byClass[handler.class]++;
  const diagnostics = [...code.diagnostics].sort((a, b) =>
    compareLocations({ file: a.file, line: a.line ?? 0, column: a.column ?? 0, name: a.message }, { file: b.file, line: b.line ?? 0, column: b.column ?? 0, name: b.message }),
  );
  return {
    schemaVersion: 1,
    tool: { name: "coordlint", version: VERSION },
    root: code.root,
    handlers,
    sites,
    findings: [],
    diagnostics,
    summary: { files: index.files.length, handlers: handlers.length, sites: sites.length, byClass },
  };
}

/** Handler functions written inline inside another function: registering them does not run them. */
function registeredCallbacks(found: readonly FoundHandler[]): Set<number> {
  return new Set(found.flatMap((h) => h.entries.flatMap((e) => e.units.filter((u) => u.inline).map((u) => u.id))));
}
