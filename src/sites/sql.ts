// SQL text in code: extract it from literals and templates (interpolations become parameters), find its coordination features and describe its statements.
import { ts } from "ts-morph";
import type { SqlStatement } from "../model/report.js";
import type { SqlDialect, SqlFeature } from "./rules.js";
import { parseStatement, type StatementFacts } from "./sql-ast.js";
import { lockingClauses, transactionControl, type LockingClause } from "./sql-grammar.js";
import { isPlaceholder, statementsOf, tokenize, type Token } from "./sql-tokens.js";

export type { StatementFacts } from "./sql-ast.js";

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
  /** Offset in the SQL text of the keyword that says "coordinate" (for `statement`, the statement's first keyword). */
  offset: number;
  isolation?: string;
  resource?: { expression: string; constant: boolean };
  /** The statement holding it parsed (false: the keyword scan found it). */
  parsed: boolean;
  /** What that statement does, when it parsed. */
  statement?: SqlStatement;
  /** Its tables and columns, when it parsed (the `statement` feature). */
  facts?: StatementFacts;
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

/** A resource written in SQL: its text, and the `$n` parameters it holds (undefined when it holds a `?` or `:name` one). */
interface ResourceText {
  expression: string;
  parameters: number[] | undefined;
}

interface Found {
  feature: SqlFeature;
  offset: number;
  isolation?: string;
  resource?: ResourceText;
}

interface AnalysedStatement {
  parsed: boolean;
  statement?: SqlStatement;
  /** A parsed SELECT reading a table, INSERT, UPDATE or DELETE: a state operation (the `statement` feature). */
  operation?: { offset: number; facts: StatementFacts };
  found: Found[];
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

/** Every feature but `statement` needs one of these words: a statement without any, and not a query or write, is not parsed. */
const FEATURE_WORDS = new Set(["BEGIN", "START", "SET", "FOR", "LOCK", "DELETE", "UPDATE", ...ADVISORY_FUNCTIONS]);

/** How a query or write may begin. */
const STATEMENT_WORDS = new Set(["SELECT", "INSERT", "REPLACE", "UPDATE", "DELETE", "WITH", "("]);

const OPERATION_TYPES: ReadonlySet<SqlStatement["type"]> = new Set(["select", "insert", "update", "delete"]);

/** Longer statements (generated bulk inserts, migrations) are scanned, not parsed: the parser takes about 15 ms per kB. */
const MAX_PARSED_LENGTH = 10_000;

/** The same text is analysed once per dialect, however many rules and calls ask. */
const analyses = new Map<string, AnalysedStatement[]>();

/**
 * Coordination features of a SQL text, statement by statement: each statement is parsed in the dialect (unknown:
 * PostgreSQL, then MySQL), and one that does not parse is read by a keyword scan over its tokens instead.
 * `constantParameters` are the `$n` that stand for interpolations known to be the same for every request. With
 * `statements`, each parsed SELECT that reads a table, INSERT, UPDATE and DELETE is also a `statement` match, first of its
 * statement's, with its facts.
 */
export function sqlFeatures(sql: string, dialect?: SqlDialect, constantParameters: ReadonlySet<number> = new Set(), options: { statements?: boolean } = {}): SqlMatch[] {
  const key = `${dialect ?? ""}\u0000${sql}`;
  let statements = analyses.get(key);
  if (!statements) {
    const tokens = tokenize(sql, dialect);
    statements = statementsOf(tokens).map((statement) => analyseStatement(sql, statement, dialect));
    analyses.set(key, statements);
  }
  return statements.flatMap(({ parsed, statement, operation, found }) => {
    const matches: SqlMatch[] = found.map(({ resource, ...match }) => ({
      ...match,
      ...(resource ? { resource: { expression: resource.expression, constant: resource.parameters?.every((n) => constantParameters.has(n)) ?? false } } : {}),
      parsed,
      ...(statement ? { statement: { ...statement } } : {}),
    }));
    if (options.statements && operation && statement) {
      const { tables, columns, where, allocates } = operation.facts;
      matches.unshift({ feature: "statement", offset: operation.offset, parsed, statement: { ...statement }, facts: { tables: [...tables], columns: [...columns], where: [...where], allocates } });
    }
    return matches;
  });
}

function analyseStatement(sql: string, tokens: Token[], dialect: SqlDialect | undefined): AnalysedStatement {
  const control = transactionControl(tokens);
  if (control) {
    const at = tokens[0]!.offset;
    const isolation = control.isolation ? { isolation: control.isolation } : {};
    const found: Found[] = control.type === "begin" ? [{ feature: "begin", offset: at, ...isolation }] : control.isolation ? [{ feature: "set-isolation", offset: at, ...isolation }] : [];
    return { parsed: true, statement: { type: control.type }, found };
  }
  if (!STATEMENT_WORDS.has(tokens[0]!.word) && !tokens.some((t) => FEATURE_WORDS.has(t.word))) return { parsed: false, found: [] };
  const clauses = lockingClauses(tokens, dialect);
  const start = tokens[0]!.offset;
  const end = tokens[tokens.length - 1]!.end;
  const parsed = clauses && end - start <= MAX_PARSED_LENGTH ? parseStatement(parserText(sql, tokens, clauses), dialect ? [dialect] : ["postgresql", "mysql"]) : undefined;
  // A locking clause outside any SELECT was blanked from a statement that cannot hold one.
  if (!clauses || !parsed || (clauses.length > 0 && !parsed.selects)) return { parsed: false, found: keywordScan(sql, tokens) };
  const statement = parsed.statement;
  const strongest = LOCK_STRENGTHS.find((lock) => clauses.some((c) => c.lock === lock));
  if (strongest) statement.lock = strongest;
  if (clauses.some((c) => c.nowait)) statement.nowait = true;
  if (clauses.some((c) => c.skipLocked)) statement.skipLocked = true;

  const found: Found[] = clauses.map((c) => ({ feature: c.lock === "update" || c.lock === "no key update" ? "for-update" : "for-share", offset: c.offset }));
  // The statement's own DELETE or UPDATE, or its CTE's: not one of a locking clause, ON CONFLICT DO UPDATE or ON DELETE.
  const keyword = (word: string): Token =>
    tokens.find((t, i) => t.word === word && !["DO", "KEY", "ON"].includes(tokens[i - 1]?.word ?? "") && !clauses.some((c) => t.offset >= c.offset && t.offset < c.end)) ?? tokens[0]!;
  if (statement.type === "lock-table") {
    const resource = parsed.lockedTables.length > 0 ? { resource: { expression: parsed.lockedTables.join(", "), parameters: [] } } : {};
    found.push({ feature: "lock-table", offset: tokens[0]!.offset, ...resource });
  }
  if (statement.type === "delete") found.push({ feature: "delete", offset: keyword("DELETE").offset });
  if (statement.type === "update" && statement.increments) {
    const update = tokens.indexOf(keyword("UPDATE"));
    const resource = counterResource(sql, tokens, update);
    if (resource) found.push({ feature: "counter-update", offset: tokens[update]!.offset, resource });
  }
  if ([...parsed.functions].some((name) => ADVISORY_FUNCTIONS.has(name.toUpperCase()))) {
    tokens.forEach((t, i) => {
      if (ADVISORY_FUNCTIONS.has(t.word) && tokens[i + 1]?.word === "(") found.push({ feature: "advisory-lock", offset: t.offset, resource: parenthesised(sql, tokens, i + 1) });
    });
  }
  // A SELECT of no table (`SELECT pg_advisory_xact_lock(1)`, `SELECT now()`) reads no state.
  const operates = OPERATION_TYPES.has(statement.type) && (statement.type !== "select" || parsed.facts.tables.length > 0);
  const operation = operates ? { operation: { offset: tokens.find((t) => t.word !== "(")!.offset, facts: parsed.facts } } : {};
  return { parsed: true, statement, ...operation, found: found.sort((a, b) => a.offset - b.offset) };
}

const LOCK_STRENGTHS: NonNullable<SqlStatement["lock"]>[] = ["update", "no key update", "share", "key share"];

/** The statement's text for the parser: placeholders written as numbers of the same length (the grammars reject `$1::uuid` and, in PostgreSQL, `?`), locking clauses blanked. */
function parserText(sql: string, tokens: readonly Token[], clauses: readonly LockingClause[]): string {
  const start = tokens[0]!.offset;
  const chars = sql.slice(start, tokens[tokens.length - 1]!.end).split("");
  const fill = (from: number, to: number, c: string): void => {
    for (let k = from - start; k < to - start; k++) chars[k] = c;
  };
  for (const token of tokens) if (isPlaceholder(token)) fill(token.offset, token.end, "1");
  for (const clause of clauses) fill(clause.offset, clause.end, " ");
  return chars.join("");
}

/** The tokens from `from` to the end of the statement or of the parentheses around it (a CTE's). */
function enclosed(tokens: readonly Token[], from: number): Token[] {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    if (tokens[k]!.word === "(") depth++;
    else if (tokens[k]!.word === ")" && --depth < 0) return tokens.slice(from, k);
  }
  return tokens.slice(from);
}

/** Tokens outside parentheses. */
function topLevel(tokens: readonly Token[]): Token[] {
  let depth = 0;
  return tokens.filter((t) => {
    if (t.word === "(") depth++;
    if (t.word === ")") depth--;
    return depth === 0 && t.word !== ")";
  });
}

const ISOLATION_WORDS = new Set(["SERIALIZABLE", "REPEATABLE", "READ", "COMMITTED", "UNCOMMITTED", "SNAPSHOT"]);

/** The conservative fallback for a statement that does not parse: keywords in their places, over tokens (never raw text). */
function keywordScan(sql: string, tokens: readonly Token[]): Found[] {
  const found: Found[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = (k: number): string => tokens[i + k]?.word ?? "";
    const initial = i === 0;
    if (initial && (t.word === "BEGIN" || (t.word === "START" && next(1) === "TRANSACTION"))) {
      found.push({ feature: "begin", offset: t.offset, ...isolationAfter(tokens, i) });
    } else if (initial && t.word === "SET" && (next(1) === "TRANSACTION" || next(1) === "SESSION")) {
      const level = isolationAfter(tokens, i);
      if (level.isolation) found.push({ feature: "set-isolation", offset: t.offset, ...level });
    } else if (initial && t.word === "UPDATE") {
      const resource = incrementsItself(tokens) ? counterResource(sql, tokens, 0) : undefined;
      if (resource) found.push({ feature: "counter-update", offset: t.offset, resource });
    } else if (t.word === "DELETE" && next(1) === "FROM") {
      found.push({ feature: "delete", offset: t.offset });
    } else if (initial && t.word === "LOCK" && next(1) !== "(") {
      found.push({ feature: "lock-table", offset: t.offset });
    } else if (t.word === "FOR" && (next(1) === "UPDATE" || (next(1) === "NO" && next(2) === "KEY" && next(3) === "UPDATE"))) {
      found.push({ feature: "for-update", offset: t.offset });
    } else if (t.word === "FOR" && (next(1) === "SHARE" || (next(1) === "KEY" && next(2) === "SHARE"))) {
      found.push({ feature: "for-share", offset: t.offset });
    } else if (t.word === "LOCK" && next(1) === "IN" && next(2) === "SHARE" && next(3) === "MODE") {
      found.push({ feature: "for-share", offset: t.offset });
    } else if (ADVISORY_FUNCTIONS.has(t.word) && next(1) === "(") {
      found.push({ feature: "advisory-lock", offset: t.offset, resource: parenthesised(sql, tokens, i + 1) });
    }
  }
  return found;
}

/** `SET value = value + 1` (the keyword scan's reading: a column, `=`, the same column, then `+` or `-`). */
function incrementsItself(tokens: readonly Token[]): boolean {
  const set = tokens.findIndex((t) => t.word === "SET");
  if (set < 0) return false;
  const where = tokens.findIndex((t, k) => k > set && t.word === "WHERE");
  const list = tokens.slice(set, where < 0 ? undefined : where);
  return list.some((t, k) => t.word === "=" && list[k + 1]?.word === list[k - 1]?.word && (list[k + 2]?.word === "+" || list[k + 2]?.word === "-"));
}

/**
 * The rows an incrementing UPDATE writes: its table and its top-level WHERE (`counters WHERE name = 'invoice'`), or the
 * whole table when it has none. Every `$n` in the WHERE counts, quoted ones too (`'${SEQUENCE}'` is an interpolation).
 */
function counterResource(sql: string, tokens: readonly Token[], update: number): ResourceText | undefined {
  const rest = enclosed(tokens, update);
  const outer = topLevel(rest);
  const set = outer.findIndex((t) => t.word === "SET");
  if (set < 1) return undefined;
  const where = outer.findIndex((t, k) => k > set && t.word === "WHERE");
  const returning = outer.findIndex((t, k) => k > Math.max(set, where) && t.word === "RETURNING");
  const table = sql.slice(outer[1]!.offset, outer[set]!.offset).trim();
  if (where < 0) return { expression: table.replace(/\s+/g, " "), parameters: [] };
  const stop = returning > where ? outer[returning]!.offset : rest[rest.length - 1]!.end;
  const clause = rest.filter((t) => t.offset > outer[where]!.offset && t.offset < stop);
  const condition = sql.slice(clause[0]?.offset ?? stop, stop).trim();
  return { expression: `${table} WHERE ${condition}`.replace(/\s+/g, " "), parameters: parametersOf(condition, clause) };
}

/** `$n` numbers written in the text, quoted or not; undefined when it holds a `?` or `:name` placeholder. */
function parametersOf(text: string, tokens: readonly Token[]): number[] | undefined {
  if (tokens.some((t) => t.word === "?")) return undefined;
  return [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
}

function isolationAfter(tokens: readonly Token[], from: number): { isolation?: string } {
  for (let k = from; k < Math.min(tokens.length, from + 12); k++) {
    if (tokens[k]!.word === "ISOLATION" && tokens[k + 1]?.word === "LEVEL") {
      const words: string[] = [];
      for (let j = k + 2; j < tokens.length && ISOLATION_WORDS.has(tokens[j]!.word) && words.length < 2; j++) words.push(tokens[j]!.word);
      return words.length > 0 ? { isolation: words.join(" ") } : {};
    }
  }
  return {};
}

/** The text between a `(` token and its matching `)`. */
function parenthesised(sql: string, tokens: readonly Token[], open: number): ResourceText {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const word = tokens[k]!.word;
    if (word === "(") depth++;
    if (word === ")" && --depth === 0) {
      const expression = sql.slice(tokens[open]!.offset + 1, tokens[k]!.offset).trim();
      return { expression, parameters: parametersOf(expression, tokens.slice(open, k)) };
    }
  }
  const expression = sql.slice(tokens[open]!.offset + 1, tokens[tokens.length - 1]!.end).trim();
  return { expression, parameters: parametersOf(expression, tokens.slice(open)) };
}
