// Gate: each finding takes the severity its rule is configured with; a rule turned off reports nothing.
import type { RuleSeverity } from "../config/config.js";
import type { Finding, FindingRule } from "../model/report.js";

export function applySeverities(findings: readonly Finding[], severities: Readonly<Record<FindingRule, RuleSeverity>>): Finding[] {
  return findings.flatMap((finding) => {
    const configured = severities[finding.rule as FindingRule] ?? "warn";
    if (configured === "off") return [];
    return [{ ...finding, severity: configured === "error" ? ("error" as const) : ("warning" as const) }];
  });
}
