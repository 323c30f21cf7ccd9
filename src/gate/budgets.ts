// Gate: coordination budgets, the most coordination a group of handlers may have; the last budget matching a handler applies, and a handler over it is a `budget/exceeded` finding.
import { classRank, COST, evidenceClass, type Finding, type Handler, type SpectrumClass } from "../model/report.js";

export interface Budget {
  /** Handler names, `*` standing for any text (`/` included): `GET *`, `bullmq emails/*`. */
  handlers?: string;
  /** Framework ids (`express`, `nestjs`, `bullmq`). */
  framework?: string | string[];
  /** Glob of the file a handler is registered in, relative to the analysed root (`src/public-api/**`). */
  files?: string;
  /** The most coordinated class the handlers may have. */
  max: SpectrumClass;
}

export function budgetFindings(handlers: readonly Handler[], budgets: readonly Budget[]): Finding[] {
  if (budgets.length === 0) return [];
  const matchers = budgets.map((budget) => ({
    name: budget.handlers === undefined ? undefined : wildcard(budget.handlers),
    frameworks: budget.framework === undefined ? undefined : [budget.framework].flat(),
    files: budget.files === undefined ? undefined : glob(budget.files),
  }));
  const findings: Finding[] = [];
  for (const handler of handlers) {
    let applies = -1;
    matchers.forEach((m, i) => {
      if (m.name && !m.name.test(handler.name)) return;
      if (m.frameworks && !m.frameworks.includes(handler.framework)) return;
      if (m.files && !m.files.test(handler.file)) return;
      applies = i;
    });
    if (applies < 0) continue;
    const budget = budgets[applies]!;
    if (classRank(handler.class) <= classRank(budget.max)) continue;
    const worst = handler.evidence.find((e) => evidenceClass(e) === handler.class);
    const where = worst ? `: ${worst.api} (${worst.kind}) at ${worst.file}:${worst.line} puts it there` : "";
    findings.push({
      rule: "budget/exceeded",
      severity: "error",
      file: handler.file,
      line: handler.line,
      column: handler.column,
      message: `${handler.name} is ${handler.class} (${COST[handler.class]}), over its budget budgets[${applies}] (${describe(budget)}), which allows at most ${budget.max}${where}. Remove the coordination, or raise the budget for this handler with a reason.`,
      function: handler.name,
      api: worst?.api ?? handler.class,
      handlers: [handler.id],
      related: worst ? [{ file: worst.file, line: worst.line, column: worst.column, message: `${worst.api}: ${worst.kind}` }] : [],
    });
  }
  return findings;
}

function describe(budget: Budget): string {
  const parts = [
    budget.handlers !== undefined ? `handlers "${budget.handlers}"` : "",
    budget.framework !== undefined ? `framework ${[budget.framework].flat().join(", ")}` : "",
    budget.files !== undefined ? `files "${budget.files}"` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "every handler";
}

const escape = (text: string): string => text.replace(/[.+^${}()|[\]\\?]/g, "\\$&");

/** `*` matches any text, `/` included. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map(escape).join(".*")}$`);
}

/** A file glob: `**` any folders, `*` any text within a folder, `?` one character, `{a,b}` either. */
function glob(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      out += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "{" && pattern.indexOf("}", i) > i) {
      const end = pattern.indexOf("}", i);
      out += `(?:${pattern.slice(i + 1, end).split(",").map(escape).join("|")})`;
      i = end;
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}
