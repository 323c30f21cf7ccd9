// The programmatic API: run the pipeline (load → scan → handlers → sites → calls → classify → CALM → gate) and return the report.
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ormHookTargets } from "./calls/hooks.js";
import { buildCallGraph, type Reachable } from "./calls/summaries.js";
import { intervalCallbacks } from "./calls/timers.js";
import { localCopyReads } from "./classify/local-copy.js";
import { classifier } from "./classify/spectrum.js";
import { resolveConfig, type CoordlintConfig } from "./config/config.js";
import { findHandlers, type FoundHandler } from "./handlers/find.js";
import { commonRoot, loadCode } from "./load/project.js";
import { CALM_VERDICTS, compareLocations, SPECTRUM_CLASSES, type CalmVerdict, type Report, type SpectrumClass } from "./model/report.js";
import { buildIndex } from "./scan/code-index.js";
import { Resolver } from "./scan/resolve.js";
import { CoordlintError } from "./model/errors.js";
import { detectSites } from "./sites/detect.js";
import { detectOperations } from "./sites/operations.js";
import { detectSharedState } from "./sites/shared-state.js";
import { analyseCalm } from "./calm/calm.js";
import { applyBaseline, BASELINE_FILE, readBaseline } from "./gate/baseline.js";
import { budgetFindings } from "./gate/budgets.js";
import { applySeverities } from "./gate/severities.js";
import { applySuppressions, directivesIn } from "./gate/suppressions.js";
import { builtinRuleFiles, loadRules } from "./sites/rules.js";
import { addWrapperSites } from "./sites/wrappers.js";

export interface AnalyzeOptions {
  /** Files or directories to analyse (default: the working directory). */
  paths?: string[];
  /** A tsconfig to load instead of discovering them. */
  project?: string;
  /** Directory relative paths are resolved against (default: `process.cwd()`). */
  cwd?: string;
  /**
   * The configuration file to use (relative to `cwd`); `false`: none. Unset: the nearest coordlint.config.json or
   * coordlint.config.jsonc from the analysed root upward, up to the repository's root (docs/config.md).
   */
  configFile?: string | false;
  /** Settings applied over the configuration file's, key by key; its `ruleFiles` patterns are relative to `cwd`. */
  config?: CoordlintConfig;
  /** Extra rule files in the knowledge-base format, loaded after the built-in ones and the configuration's. */
  ruleFiles?: string[];
  /**
   * A baseline file (relative to `cwd`) whose findings do not fail the run; unset: coordlint-baseline.json in the analysed
   * root when there is one; `false`: none.
   */
  baseline?: string | false;
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
  const cwd = options.cwd ?? process.cwd();
  const paths = options.paths ?? [];
  const { rules, config } = stage("rules", () => {
    const root = commonRoot((paths.length > 0 ? paths : [options.project ?? "."]).map((p) => path.resolve(cwd, p)));
    const config = resolveConfig({ root, cwd, configFile: options.configFile, config: options.config });
    return { config, rules: loadRules([...builtinRuleFiles(), ...config.ruleFiles, ...(options.ruleFiles ?? [])]) };
  });
  const code = stage("load", () => loadCode({ paths, project: options.project, cwd, includeTests: options.includeTests }));
  const index = stage("scan", () => buildIndex(code));
  const resolver = new Resolver(index);
  const found = stage("handlers", () => findHandlers(index, resolver));
  const { sites: detected, contained, operations } = stage("sites", () => {
    const withWrappers = addWrapperSites(index, resolver, detectSites(index, resolver, rules.sites), found);
    return { ...withWrappers, operations: [...detectOperations(index, resolver, rules, withWrappers.sites), ...detectSharedState(index, resolver)] };
  });
  const siteItems: Reachable[] = detected.map((d) => ({ unit: d.unit, node: d.node, pos: d.node.getStart(), line: d.site.line }));
  // Reads of state the sites keep are reachable items too, after the sites: a handler reaching one reads a local copy. State operations follow.
  const { reads, graph, firstOperation } = stage("calls", () => {
    const reads = localCopyReads(index, resolver, detected);
    const operationItems: Reachable[] = operations.map((o) => ({ unit: o.unit, node: o.node, pos: o.node.getStart(), line: o.operation.line }));
    // Callbacks registered as handlers or on an interval timer run on their own, not when their function runs.
    const notRunByCaller = new Set([...registeredCallbacks(found), ...intervalCallbacks(index, resolver)]);
    const graph = buildCallGraph(index, resolver, [...siteItems, ...reads, ...operationItems], contained, ormHookTargets(index, resolver), notRunByCaller);
    return { reads, graph, firstOperation: siteItems.length + reads.length };
  });
  const handlers = stage("classify", () => found.map(classifier({ sites: detected, reads, firstOperation, graph, resolver, relative: code.relative })));
  const calm = stage("calm", () => analyseCalm({ index, found, handlers, sites: detected, operations, firstOperation, graph, resolver, relative: code.relative, uniqueKeys: code.uniqueKeys }));

  const gated = stage("gate", () => {
    const directives = index.files.flatMap((scan) => directivesIn(code.relative(scan.sourceFile.fileName), scan.sourceFile.text));
    const findings = [...calm.findings, ...budgetFindings(handlers, config.budgets)].sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule }));
    const suppressed = applySuppressions(applySeverities(findings, config.rules), directives, handlers, config.requireReason);
    const file = baselineFile(options.baseline, cwd, code.root);
    if (!file) return suppressed;
    const baselined = applyBaseline(suppressed.findings, readBaseline(file), code.relative(file));
    return { findings: baselined.findings, diagnostics: [...suppressed.diagnostics, ...baselined.diagnostics] };
  });
  const sites = detected.map((d) => d.site).sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule }));
  const byClass = Object.fromEntries(SPECTRUM_CLASSES.map((c) => [c, 0])) as Record<SpectrumClass, number>;
  const byCalm = Object.fromEntries(CALM_VERDICTS.map((c) => [c, 0])) as Record<CalmVerdict, number>;
  for (const handler of handlers) {
    byClass[handler.class]++;
    byCalm[handler.calm]++;
  }
  const diagnostics = [...code.diagnostics, ...gated.diagnostics].sort((a, b) =>
    compareLocations({ file: a.file, line: a.line ?? 0, column: a.column ?? 0, name: a.message }, { file: b.file, line: b.line ?? 0, column: b.column ?? 0, name: b.message }),
  );
  return {
    schemaVersion: 1,
    tool: { name: "coordlint", version: VERSION },
    root: code.root,
    handlers,
    sites,
    operations: operations.map((o) => o.operation).sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule })),
    findings: gated.findings,
    hotspots: calm.hotspots,
    diagnostics,
    summary: { files: index.files.length, handlers: handlers.length, sites: sites.length, byClass, byCalm },
  };
}

/** The baseline a run applies: the one named (it must exist), else coordlint-baseline.json in the analysed root if present. */
function baselineFile(option: string | false | undefined, cwd: string, root: string): string | undefined {
  if (option === false) return undefined;
  if (option !== undefined) {
    const named = path.resolve(cwd, option);
    if (!fs.existsSync(named)) throw new CoordlintError("usage", `Cannot find baseline file: ${named}`);
    return named;
  }
  const found = path.join(root, BASELINE_FILE);
  return fs.existsSync(found) ? found : undefined;
}

/** Handler functions written inline inside another function: registering them does not run them. */
function registeredCallbacks(found: readonly FoundHandler[]): Set<number> {
  return new Set(found.flatMap((h) => h.entries.flatMap((e) => e.units.filter((u) => u.inline).map((u) => u.id))));
}
