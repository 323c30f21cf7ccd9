// Stylish format (default): handlers grouped by file as ESLint's stylish does, each with its class, cost, CALM verdict and the evidence path that put it there; then the findings.
import { Chalk, type ChalkInstance } from "chalk";
import { isActive, SPECTRUM_CLASSES, type Amortisation, type CalmVerdict, type Evidence, type Finding, type Handler, type SpectrumClass } from "../model/report.js";
import type { Formatter } from "./formatter.js";

const CLASS_COLOR: Record<SpectrumClass, (c: ChalkInstance) => ChalkInstance> = {
  coordinated: (c) => c.red.bold,
  "data-dependent": (c) => c.yellow,
  leveraged: (c) => c.cyan,
  uncoordinated: (c) => c.green,
};

const CALM_LABEL: Record<CalmVerdict, (c: ChalkInstance) => string> = {
  monotonic: () => "",
  "non-monotonic-guarded": (c) => c.dim("  non-monotonic, guarded"),
  "non-monotonic-unguarded": (c) => c.red("  non-monotonic, unguarded"),
};

/** Evidence items printed per handler before "… and N more". */
const EVIDENCE_SHOWN = 3;

export const stylish: Formatter = (report, context) => {
  const c = new Chalk({ level: context.color ? 1 : 0 });
  const lines: string[] = [];
  const byFile = new Map<string, Handler[]>();
  for (const handler of report.handlers) byFile.set(handler.file, [...(byFile.get(handler.file) ?? []), handler]);

  const classWidth = Math.max(...SPECTRUM_CLASSES.map((s) => s.length));
  for (const [file, handlers] of byFile) {
    lines.push("", c.underline(file));
    const posWidth = Math.max(...handlers.map((h) => `${h.line}:${h.column}`.length));
    const costWidth = Math.max(...handlers.map((h) => h.cost.length));
    for (const handler of handlers) {
      const pos = `${handler.line}:${handler.column}`.padEnd(posWidth);
      const cls = CLASS_COLOR[handler.class](c)(handler.class.padEnd(classWidth));
      lines.push(`  ${c.dim(pos)}  ${cls}  ${handler.cost.padEnd(costWidth)}  ${handler.name}  ${c.dim(handler.framework)}${CALM_LABEL[handler.calm](c)}`);
      const indent = " ".repeat(posWidth + 4);
      for (const evidence of handler.evidence.slice(0, EVIDENCE_SHOWN)) lines.push(indent + describeEvidence(evidence, c));
      const more = handler.evidence.length - EVIDENCE_SHOWN;
      if (more > 0) lines.push(indent + c.dim(`… and ${more} more site${more === 1 ? "" : "s"} (--format json lists them all)`));
      if (handler.unresolved > 0) {
        const examples = (handler.unresolvedCalls ?? []).map((u) => `${u.call} ${u.file}:${u.line}`).join(", ");
        lines.push(indent + c.dim(`${handler.unresolved} call${handler.unresolved === 1 ? "" : "s"} on this path could not be resolved${examples ? `: ${examples}` : ""}${handler.unresolved > (handler.unresolvedCalls?.length ?? 0) ? ", …" : ""}`));
      }
    }
  }

  const active = report.findings.filter(isActive);
  if (active.length > 0) {
    lines.push("", c.underline("findings"));
    for (const finding of active) lines.push(...describeFinding(finding, c));
  }

  if (report.diagnostics.length > 0) {
    lines.push("", c.underline("diagnostics"));
    for (const d of report.diagnostics) {
      const where = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
      const severity = d.severity === "error" ? c.red("error") : c.yellow("warning");
      lines.push(`  ${severity}  ${where}  ${d.message}`);
    }
  }

  const { summary } = report;
  const counts = SPECTRUM_CLASSES.map((s) => CLASS_COLOR[s](c)(`${summary.byClass[s]} ${s}`)).join(", ");
  lines.push(
    "",
    `${summary.handlers} handler${summary.handlers === 1 ? "" : "s"}: ${counts}`,
    c.dim(`${summary.sites} coordination site${summary.sites === 1 ? "" : "s"} in ${summary.files} file${summary.files === 1 ? "" : "s"}`),
    ...findingsLine(report.findings, c),
    "",
  );
  return lines.join("\n");
};

const AMORTISED: Record<Amortisation, string> = {
  "cache-miss": " only on a cache miss",
  "budget-exhausted": " only when a local budget runs out",
  "local-copy": " read from a local copy",
};

function describeEvidence(evidence: Evidence, c: ChalkInstance): string {
  const steps = evidence.path.map((step, i) => {
    const previous = evidence.path[i - 1];
    const where = previous && previous.file === step.file ? `:${step.line}` : ` ${step.file}:${step.line}`;
    return `${step.function}${c.dim(where)}`;
  });
  const when = evidence.amortised ? AMORTISED[evidence.amortised] : "";
  const site = `${c.bold(evidence.api)} ${c.dim(`${evidence.kind}${when} at ${evidence.file}:${evidence.line}:${evidence.column}`)}`;
  return `${c.dim("↳")} ${[...steps, site].join(c.dim(" → "))}`;
}

function describeFinding(finding: Finding, c: ChalkInstance): string[] {
  const severity = finding.severity === "error" ? c.red("error  ") : c.yellow("warning");
  const lines = [`  ${severity}  ${finding.file}:${finding.line}:${finding.column}  ${finding.message}  ${c.dim(finding.rule)}`];
  if (finding.handlers.length > 0) lines.push(c.dim(`           reached from ${finding.handlers.join(", ")}`));
  for (const place of finding.related) lines.push(c.dim(`           ${place.file}:${place.line}:${place.column}  ${place.message}`));
  return lines;
}

function findingsLine(findings: readonly Finding[], c: ChalkInstance): string[] {
  const active = findings.filter(isActive);
  const baselined = findings.filter((f) => f.suppressions?.some((s) => s.kind === "external")).length;
  const suppressed = findings.length - active.length - baselined;
  if (findings.length === 0) return [];
  const errors = active.filter((f) => f.severity === "error").length;
  const warnings = active.length - errors;
  const parts = [
    errors > 0 ? c.red(`${errors} error${errors === 1 ? "" : "s"}`) : "",
    warnings > 0 ? c.yellow(`${warnings} warning${warnings === 1 ? "" : "s"}`) : "",
    suppressed > 0 ? c.dim(`${suppressed} suppressed`) : "",
    baselined > 0 ? c.dim(`${baselined} in the baseline`) : "",
  ].filter(Boolean);
  return [`${active.length} finding${active.length === 1 ? "" : "s"}: ${parts.join(", ")}`];
}
