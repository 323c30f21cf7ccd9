// Gate: the baseline, today's accepted findings keyed by stable fingerprints, so that only new findings fail; entries that no longer occur are reported and can be pruned.
import fs from "node:fs";
import { CoordlintError } from "../model/errors.js";
import type { Diagnostic, Finding } from "../model/report.js";

export const BASELINE_FILE = "coordlint-baseline.json";

export interface BaselineEntry {
  rule: string;
  file: string;
  function: string;
  api: string;
  /** How many findings share this fingerprint: a second identical one is still new (as ESLint's bulk suppressions count). */
  count: number;
}

export interface Baseline {
  version: 1;
  /** By fingerprint, sorted. */
  findings: Record<string, BaselineEntry>;
}

/** rule + file + enclosing function + api (DECISIONS.md): no line numbers, so moving code keeps it. */
export function fingerprintOf(finding: Pick<Finding, "rule" | "file" | "function" | "api">): string {
  return [finding.rule, finding.file, finding.function, finding.api].join(" | ");
}

/** The baseline of a report's findings that count (suppressed ones are not written). */
export function baselineOf(findings: readonly Finding[]): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    if (finding.suppressions) continue;
    const key = fingerprintOf(finding);
    const entry = entries.get(key);
    if (entry) entry.count++;
    else entries.set(key, { rule: finding.rule, file: finding.file, function: finding.function, api: finding.api, count: 1 });
  }
  return { version: 1, findings: Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

export function readBaseline(file: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new CoordlintError("config", `Invalid baseline file ${file}: ${(error as Error).message}`);
  }
  const baseline = data as Partial<Baseline>;
  if (baseline.version !== 1 || typeof baseline.findings !== "object" || baseline.findings === null) {
    throw new CoordlintError("config", `Invalid baseline file ${file}: expected { "version": 1, "findings": { … } } as --write-baseline writes it`);
  }
  return baseline as Baseline;
}

export interface BaselineResult {
  findings: Finding[];
  diagnostics: Diagnostic[];
  /** The baseline without the entries that no longer occur (what --prune-baseline writes). */
  pruned: Baseline;
}

/** Findings the baseline holds are marked as suppressed by it (up to its count per fingerprint); entries no finding uses are reported. */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline, file: string): BaselineResult {
  const left = new Map(Object.entries(baseline.findings).map(([key, entry]) => [key, entry.count]));
  const marked = findings.map((finding) => {
    if (finding.suppressions) return finding;
    const key = fingerprintOf(finding);
    const remaining = left.get(key) ?? 0;
    if (remaining === 0) return finding;
    left.set(key, remaining - 1);
    return { ...finding, suppressions: [{ kind: "external" as const, justification: `in the baseline ${file}` }] };
  });
  const diagnostics: Diagnostic[] = [];
  const kept: Record<string, BaselineEntry> = {};
  for (const [key, entry] of Object.entries(baseline.findings)) {
    const unused = left.get(key) ?? 0;
    if (unused > 0) diagnostics.push({ severity: "warning", file: entry.file, message: `Baseline entry no longer occurs (${unused} of ${entry.count}): ${entry.rule} in ${entry.function} (${entry.api}); --prune-baseline removes it` });
    if (unused < entry.count) kept[key] = { ...entry, count: entry.count - unused };
  }
  return { findings: marked, diagnostics, pruned: { version: 1, findings: kept } };
}
