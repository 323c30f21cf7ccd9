// Gate: inline suppressions (`// coordlint-disable-next-line <rule> -- <reason>`, and `coordlint-disable` for a whole file), with the reason they must give; unused ones are reported.
import type { Diagnostic, Finding, Handler } from "../model/report.js";

export interface Directive {
  file: string;
  /** Line of the comment. */
  line: number;
  column: number;
  /** `next-line`: the line below the comment; `file`: the whole file. */
  scope: "next-line" | "file";
  /** Finding rule ids; empty: every rule. */
  rules: string[];
  reason: string | undefined;
}

const DIRECTIVE = /(?:\/\/|\/\*)\s*coordlint-disable(-next-line)?(?=[\s*]|$)([^\n]*?)(?:\*\/|$)/gm;

/** The directives written in one file's text. */
export function directivesIn(file: string, text: string): Directive[] {
  const directives: Directive[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  for (const match of text.matchAll(DIRECTIVE)) {
    const offset = match.index;
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= offset) line++;
    const [body, reason] = splitReason(match[2] ?? "");
    directives.push({
      file,
      line: line + 1,
      column: offset - lineStarts[line]! + 1,
      scope: match[1] ? "next-line" : "file",
      rules: body.split(/[\s,]+/).filter(Boolean),
      reason,
    });
  }
  return directives;
}

function splitReason(text: string): [string, string | undefined] {
  const at = text.indexOf("--");
  if (at < 0) return [text.trim(), undefined];
  const reason = text.slice(at + 2).trim();
  return [text.slice(0, at).trim(), reason.length > 0 ? reason : undefined];
}

export interface SuppressionResult {
  findings: Finding[];
  diagnostics: Diagnostic[];
}

/**
 * A directive suppresses a finding of its rules when it stands on the line above the finding, or above the registration of
 * every handler the finding lists, or anywhere in the finding's file for the file form. Without a reason (when one is
 * required) it suppresses nothing and is reported; a directive that suppresses nothing is reported too.
 */
export function applySuppressions(findings: readonly Finding[], directives: readonly Directive[], handlers: readonly Handler[], requireReason: boolean): SuppressionResult {
  const diagnostics: Diagnostic[] = [];
  const usable = directives.filter((d) => {
    if (d.reason !== undefined || !requireReason) return true;
    diagnostics.push({ severity: "warning", file: d.file, line: d.line, column: d.column, message: "coordlint-disable directive without a reason: write one after `--` (it suppresses nothing until then)" });
    return false;
  });
  const used = new Set<Directive>();
  const handlerAt = new Map(handlers.map((h) => [h.id, h]));
  const covers = (d: Directive, rule: string, file: string, line: number): boolean =>
    d.file === file && (d.rules.length === 0 || d.rules.includes(rule)) && (d.scope === "file" || d.line + 1 === line);
  const result = findings.map((finding) => {
    let matched = usable.filter((d) => covers(d, finding.rule, finding.file, finding.line));
    if (matched.length === 0 && finding.handlers.length > 0) {
      const perHandler = finding.handlers.map((id) => {
        const handler = handlerAt.get(id);
        return handler ? usable.filter((d) => covers(d, finding.rule, handler.file, handler.line)) : [];
      });
      if (perHandler.every((list) => list.length > 0)) matched = perHandler.flat();
    }
    if (matched.length === 0) return finding;
    for (const d of matched) used.add(d);
    const reasons = [...new Set(matched.map((d) => d.reason ?? ""))];
    return { ...finding, suppressions: reasons.map((justification) => ({ kind: "inSource" as const, justification })) };
  });
  for (const d of usable) {
    if (used.has(d)) continue;
    const what = d.rules.length > 0 ? d.rules.join(", ") : "any finding";
    diagnostics.push({ severity: "warning", file: d.file, line: d.line, column: d.column, message: `Unused coordlint-disable directive (no ${what} ${d.scope === "file" ? "in this file" : "on the next line"})` });
  }
  return { findings: result, diagnostics };
}
