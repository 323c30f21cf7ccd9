// SQL text in code: extract it from literals and templates (interpolations become parameters) and find its coordination features.
import { ts } from "ts-morph";
import type { SqlFeature } from "./rules.js";

/** SQL text with a map from text offsets back to source positions. */
export interface SqlText {
  text: string;
  /** Source position of each text offset (parameters map to their interpolation). */
  sourcePos: number[];
  /** The template's interpolations, in order: `$1` is the first. */
  parameters: ts.Expression[];
}

export interface SqlMatch {
  feature: SqlFeature;
  /** Offset in the SQL text of the keyword that says "coordinate". */
  offset: number;
  isolation?: string;
  resource?: { expression: string; constant: boolean };
}

/** SQL text of a literal, template or tagged template; undefined for anything else. */
export function sqlTextOf(node: ts.Node): SqlText | undefined {
  if (ts.isTaggedTemplateExpression(node)) return sqlTextOf(node.template);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    const start = node.getStart() + 1;
    return { text: node.text, sourcePos: rawPositions(node, start), parameters: [] };
  }
  if (ts.isTemplateExpression(node)) {
    let text = node.head.text;
    const sourcePos = rawPositions(node.head, node.head.getStart() + 1);
    node.templateSpans.forEach((span, i) => {
      const param = `$${i + 1}`;
      // rawPositions ends with the position after its literal: a parameter, not text, follows this one.
      sourcePos.pop();
      for (let k = 0; k < param.length; k++) sourcePos.push(span.expression.getStart());
      text += param;
      const literal = span.literal;
      text += literal.text;
      sourcePos.push(...rawPositions(literal, literal.getStart() + 1));
    });
    return { text, sourcePos, parameters: node.templateSpans.map((span) => span.expression) };
  }
  return undefined;
}

/** Source position of each cooked character of a literal, stepping over escapes, line continuations and CRLF. */
function rawPositions(node: ts.Node, start: number): number[] {
  const raw = node.getText().slice(1);
  const cooked = (node as ts.LiteralLikeNode).text;
  const positions: number[] = [];
  let r = 0;
  for (let c = 0; c < cooked.length; c++) {
    while (raw[r] === "\\" && (raw[r + 1] === "\n" || raw[r + 1] === "\r")) r += raw[r + 1] === "\r" && raw[r + 2] === "\n" ? 3 : 2;
    positions.push(start + r);
    if (raw[r] === "\\") r += escapeLength(raw, r);
    else if (raw[r] === "\r" && raw[r + 1] === "\n") r += 2;
    else r += 1;
  }
  positions.push(start + r);
  return positions;
}

function escapeLength(raw: string, at: number): number {
  const kind = raw[at + 1];
  if (kind === "x") return 4;
  if (kind === "u") return raw[at + 2] === "{" ? raw.indexOf("}", at) - at + 1 : 6;
  return 2;
}

interface Token {
  word: string;
  offset: number;
}

/** Word and punctuation tokens of SQL, skipping comments, quoted strings and identifiers. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`") {
      const start = i;
      i++;
      while (i < sql.length) {
        if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i++;
      }
      // A string is one literal token; a quoted identifier keeps its name, to compare columns (`"value" = "value" + 1`).
      tokens.push({ word: c === "'" ? "'" : `"${sql.slice(start + 1, i).toUpperCase()}"`, offset: start });
      i++;
    } else if (c === "$" && /[A-Za-z_$]/.test(sql[i + 1] ?? "")) {
      const tagEnd = sql.indexOf("$", i + 1);
      const tag = tagEnd < 0 ? "" : sql.slice(i, tagEnd + 1);
      const close = tag ? sql.indexOf(tag, tagEnd + 1) : -1;
      i = close < 0 ? i + 1 : close + tag.length;
    } else if (c === ":" && sql[i - 1] !== ":" && sql[i + 1] !== ":" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      // A named replacement (`:id`, Sequelize and knex): a parameter, like `$1` or `?`.
      tokens.push({ word: "?", offset: i });
      i++;
      while (i < sql.length && /[A-Za-z_0-9]/.test(sql[i]!)) i++;
    } else if (/[A-Za-z_0-9$]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z_0-9$]/.test(sql[i]!)) i++;
      tokens.push({ word: sql.slice(start, i).toUpperCase(), offset: start });
    } else {
      if ("();?=+-,".includes(c)) tokens.push({ word: c, offset: i });
      i++;
    }
  }
  return tokens;
}

const ADVISORY_FUNCTIONS = new Set([
  "PG_ADVISORY_LOCK",
  "PG_ADVISORY_XACT_LOCK",
  "PG_TRY_ADVISORY_LOCK",
  "PG_TRY_ADVISORY_XACT_LOCK",
  "PG_ADVISORY_LOCK_SHARED",
  "PG_ADVISORY_XACT_LOCK_SHARED",
  "PG_TRY_ADVISORY_LOCK_SHARED",
  "PG_TRY_ADVISORY_XACT_LOCK_SHARED",
  "GET_LOCK",
]);

const ISOLATION_WORDS = new Set(["SERIALIZABLE", "REPEATABLE", "READ", "COMMITTED", "UNCOMMITTED", "SNAPSHOT"]);

/** Coordination features of a SQL text (keyword scan over tokens, not over raw text). */
export function sqlFeatures(sql: string, constantParameters: ReadonlySet<number> = new Set()): SqlMatch[] {
  const tokens = tokenize(sql);
  const matches: SqlMatch[] = [];
  let statementStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = (k: number): string => tokens[i + k]?.word ?? "";
    if (t.word === ";") {
      statementStart = true;
      continue;
    }
    const initial = statementStart;
    statementStart = false;
    if (initial && (t.word === "BEGIN" || (t.word === "START" && next(1) === "TRANSACTION"))) {
      matches.push({ feature: "begin", offset: t.offset, ...isolationAfter(tokens, i) });
    } else if (initial && t.word === "SET" && (next(1) === "TRANSACTION" || next(1) === "SESSION")) {
      const level = isolationAfter(tokens, i);
      if (level.isolation) matches.push({ feature: "set-isolation", offset: t.offset, ...level });
    } else if (initial && t.word === "UPDATE") {
      const counter = counterUpdate(sql, tokens, i, constantParameters);
      if (counter) matches.push({ feature: "counter-update", offset: t.offset, resource: counter });
    } else if (initial && t.word === "DELETE" && next(1) === "FROM") {
      matches.push({ feature: "delete", offset: t.offset });
    } else if (initial && t.word === "LOCK" && next(1) !== "(") {
      matches.push({ feature: "lock-table", offset: t.offset });
    } else if (t.word === "FOR" && (next(1) === "UPDATE" || (next(1) === "NO" && next(2) === "KEY" && next(3) === "UPDATE"))) {
      matches.push({ feature: "for-update", offset: t.offset });
    } else if (t.word === "FOR" && (next(1) === "SHARE" || (next(1) === "KEY" && next(2) === "SHARE"))) {
      matches.push({ feature: "for-share", offset: t.offset });
    } else if (t.word === "LOCK" && next(1) === "IN" && next(2) === "SHARE" && next(3) === "MODE") {
      matches.push({ feature: "for-share", offset: t.offset });
    } else if (ADVISORY_FUNCTIONS.has(t.word) && next(1) === "(") {
      matches.push({ feature: "advisory-lock", offset: t.offset, resource: parenthesised(sql, tokens, i + 1, constantParameters) });
    }
  }
  return matches;
}

/**
 * `UPDATE counters SET value = value + 1 WHERE name = 'invoice'`: a statement that increments a column of the rows
 * its WHERE names. The resource is the table and that WHERE; constant when the WHERE holds no parameter.
 */
function counterUpdate(sql: string, tokens: Token[], from: number, constantParameters: ReadonlySet<number>): { expression: string; constant: boolean } | undefined {
  let end = from + 1;
  while (end < tokens.length && tokens[end]!.word !== ";") end++;
  const words = tokens.slice(from, end);
  const set = words.findIndex((t) => t.word === "SET");
  const where = words.findIndex((t) => t.word === "WHERE");
  if (set < 0 || where < set) return undefined;
  const increments = words.slice(set, where).some((t, k, list) => t.word === "=" && list[k + 1]?.word === list[k - 1]?.word && (list[k + 2]?.word === "+" || list[k + 2]?.word === "-"));
  if (!increments) return undefined;
  const returning = words.findIndex((t) => t.word === "RETURNING");
  const clause = words.slice(where + 1, returning > where ? returning : undefined);
  const stop = returning > where ? words[returning]!.offset : end < tokens.length ? tokens[end]!.offset : sql.length;
  const table = sql.slice(words[1]!.offset, words[set]!.offset).trim();
  const condition = sql.slice(words[where + 1]?.offset ?? stop, stop).trim();
  return {
    expression: `${table} WHERE ${condition}`.replace(/\s+/g, " "),
    constant: clause.length > 0 && onlyConstantParameters(condition, clause, constantParameters),
  };
}

/** No `?` placeholder, and every `$n` (quoted or not) stands for an interpolation known to be constant. */
function onlyConstantParameters(text: string, tokens: Token[], constantParameters: ReadonlySet<number>): boolean {
  if (tokens.some((t) => t.word === "?")) return false;
  return [...text.matchAll(/\$(\d+)/g)].every((m) => constantParameters.has(Number(m[1])));
}

function isolationAfter(tokens: Token[], from: number): { isolation?: string } {
  for (let k = from; k < Math.min(tokens.length, from + 12); k++) {
    if (tokens[k]!.word === "ISOLATION" && tokens[k + 1]?.word === "LEVEL") {
      const words: string[] = [];
      for (let j = k + 2; j < tokens.length && ISOLATION_WORDS.has(tokens[j]!.word) && words.length < 2; j++) words.push(tokens[j]!.word);
      return words.length > 0 ? { isolation: words.join(" ") } : {};
    }
    if (tokens[k]!.word === ";") break;
  }
  return {};
}

/** The text between a `(` token and its matching `)`: constant when it holds no parameter. */
function parenthesised(sql: string, tokens: Token[], open: number, constantParameters: ReadonlySet<number>): { expression: string; constant: boolean } {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const word = tokens[k]!.word;
    if (word === "(") depth++;
    if (word === ")" && --depth === 0) {
      const expression = sql.slice(tokens[open]!.offset + 1, tokens[k]!.offset).trim();
      return { expression, constant: onlyConstantParameters(expression, tokens.slice(open, k), constantParameters) };
    }
  }
  const expression = sql.slice(tokens[open]!.offset + 1).trim();
  return { expression, constant: onlyConstantParameters(expression, tokens.slice(open), constantParameters) };
}
