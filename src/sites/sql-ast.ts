// SQL statements parsed with node-sql-parser (loaded per dialect, on first use) and read into what coordination and CALM need.
import { createRequire } from "node:module";
import type { SqlStatement, SqlStatementType } from "../model/report.js";
import type { SqlDialect } from "./rules.js";

interface Parser {
  astify(sql: string, options: { database: string }): unknown;
}

/** What CALM needs to know of a parsed statement beyond its `SqlStatement` (kept out of the report). */
export interface StatementFacts {
  /** The tables it writes (INSERT, UPDATE, DELETE target) or, for a SELECT, reads; lower-cased, unquoted, without schema. */
  tables: string[];
  /** The columns an UPDATE sets or an INSERT lists, lower-cased. */
  columns: string[];
  /** The columns its top-level WHERE compares, lower-cased. */
  where: string[];
  /** An INSERT whose value is the next number read from the data (`SELECT MAX(n) + 1`, `COALESCE(MAX(n), 0) + 1`). */
  allocates: boolean;
}

/** What the parser tells about one statement. */
export interface ParsedStatement {
  statement: SqlStatement;
  facts: StatementFacts;
  /** Lower-cased names of the functions it calls (`pg_advisory_xact_lock`). */
  functions: Set<string>;
  /** It holds a SELECT (a locking clause needs one). */
  selects: boolean;
  /** The tables a LOCK TABLE statement locks, as `schema.table`. */
  lockedTables: string[];
}

const require = createRequire(import.meta.url);
const parsers = new Map<SqlDialect, Parser>();

/** Each dialect's build is loaded only when a project's SQL needs it (about 300 kB of grammar each). */
function parserFor(dialect: SqlDialect): Parser {
  let parser = parsers.get(dialect);
  if (!parser) {
    const module = require(`node-sql-parser/build/${dialect}.js`) as { Parser: new () => Parser };
    parser = new module.Parser();
    parsers.set(dialect, parser);
  }
  return parser;
}

/** One statement's text parsed in the first dialect that accepts it; undefined when none does. */
export function parseStatement(text: string, dialects: readonly SqlDialect[]): ParsedStatement | undefined {
  for (const dialect of dialects) {
    let ast: unknown;
    try {
      ast = parserFor(dialect).astify(text, { database: dialect });
    } catch {
      continue;
    }
    const root = Array.isArray(ast) ? (ast.length === 1 ? ast[0] : undefined) : ast;
    if (isNode(root)) return read(root);
  }
  return undefined;
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every object in an AST, the root included, except the subtrees `skip` names. */
function* nodes(value: unknown, skip: (node: Node) => boolean = () => false): Generator<Node> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodes(item, skip);
  } else if (isNode(value) && !skip(value)) {
    yield value;
    for (const child of Object.values(value)) if (typeof child === "object" && child !== null) yield* nodes(child, skip);
  }
}

const STATEMENT_TYPES: Record<string, SqlStatementType> = {
  select: "select",
  insert: "insert",
  replace: "insert",
  update: "update",
  delete: "delete",
  lock: "lock-table",
};

function read(root: Node): ParsedStatement {
  // A data-modifying CTE (`WITH gone AS (DELETE … RETURNING id) SELECT …`) is what the statement does.
  const writes = [root, ...cteWrites(root)].filter((node, i) => i === 0 || WRITES.has(String(node.type)));
  const main = root.type === "select" && writes.length > 1 ? writes[1]! : root;
  const statement: SqlStatement = { type: STATEMENT_TYPES[String(main.type)] ?? "other" };
  const onConflict = writes.map(conflictOf).find((conflict) => conflict !== undefined);
  if (onConflict) statement.onConflict = onConflict;
  for (const assignment of writes.flatMap(assignmentsOf)) {
    const column = columnName(assignment.column);
    if (column === undefined) continue;
    if (isDelta(assignment.value, column)) statement.increments = true;
    else statement.assigns = true;
  }
  const functions = new Set<string>();
  let selects = false;
  for (const node of nodes(root)) {
    if (node.type === "select") selects = true;
    const name = node.type === "function" ? functionName(node) : undefined;
    if (name) functions.add(name);
    if (isNotExists(node)) statement.notExists = true;
  }
  const lockedTables = root.type === "lock" && Array.isArray(root.tables) ? root.tables.flatMap((entry) => (isNode(entry) ? tableName(entry.table) : [])) : [];
  return { statement, facts: factsOf(main, ctesOf(root)), functions, selects, lockedTables };
}

function tableName(table: unknown): string[] {
  if (!isNode(table) || typeof table.table !== "string") return [];
  return [typeof table.db === "string" ? `${table.db}.${table.table}` : table.table];
}

const WRITES = new Set(["insert", "replace", "update", "delete"]);

function cteWrites(root: Node): Node[] {
  if (!Array.isArray(root.with)) return [];
  return root.with.flatMap((cte) => {
    const stmt = isNode(cte) && isNode(cte.stmt) ? (isNode(cte.stmt.ast) ? cte.stmt.ast : cte.stmt) : undefined;
    return stmt ? [stmt] : [];
  });
}

/** PostgreSQL and SQLite `ON CONFLICT`, MySQL `ON DUPLICATE KEY UPDATE` and `INSERT IGNORE`, SQLite `INSERT OR IGNORE|REPLACE`, `REPLACE`. */
function conflictOf(root: Node): SqlStatement["onConflict"] {
  if (root.type === "replace") return "replace";
  if (root.type !== "insert") return undefined;
  const action = isNode(root.conflict) && isNode(root.conflict.action) ? root.conflict.action.expr : undefined;
  if (isNode(action)) return action.type === "update" ? "update" : String(action.value).toLowerCase() === "nothing" ? "nothing" : undefined;
  if (isNode(root.on_duplicate_update)) return "update";
  if (typeof root.prefix === "string" && /^ignore\b/i.test(root.prefix)) return "nothing";
  const or = Array.isArray(root.or) ? root.or.map((part) => (isNode(part) ? String(part.value).toUpperCase() : "")) : [];
  if (or.includes("IGNORE")) return "nothing";
  if (or.includes("REPLACE")) return "replace";
  return undefined;
}

/** The `column = value` pairs of an UPDATE's SET and of an insert's conflict update. */
function assignmentsOf(root: Node): { column: unknown; value: unknown }[] {
  const lists: unknown[] = [root.type === "update" ? root.set : undefined];
  if (root.type === "insert") {
    const action = isNode(root.conflict) && isNode(root.conflict.action) ? root.conflict.action.expr : undefined;
    if (isNode(action)) lists.push(action.set);
    if (isNode(root.on_duplicate_update)) lists.push(root.on_duplicate_update.set);
  }
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter(isNode).map((item) => ({ column: item.column, value: item.value })) : []));
}

/** A column's name from the dialects' shapes: `"n"` or `{ expr: { value: "n" } }`. */
function columnName(column: unknown): string | undefined {
  if (typeof column === "string") return column.toLowerCase();
  if (isNode(column) && isNode(column.expr) && typeof column.expr.value === "string") return column.expr.value.toLowerCase();
  return undefined;
}

/** `n + x`, `x + n`, `n - x`, `COALESCE(n, 0) + 1`: adds to the column's own value, and only one side reads it. */
function isDelta(value: unknown, column: string): boolean {
  if (!isNode(value) || value.type !== "binary_expr") return false;
  const left = readsColumn(value.left, column);
  const right = readsColumn(value.right, column);
  if (value.operator === "+") return left !== right;
  return value.operator === "-" && left && !right;
}

/** The expression reads the row's current value of the column (not the proposed row's: `EXCLUDED.n`, `VALUES(n)`). */
function readsColumn(value: unknown, column: string): boolean {
  for (const node of nodes(value, (n) => n.type === "function" && functionName(n) === "values")) {
    if (node.type === "column_ref" && columnName(node.column) === column && String(node.table ?? "").toLowerCase() !== "excluded") return true;
  }
  return false;
}

function functionName(node: Node): string | undefined {
  const name = node.name;
  if (typeof name === "string") return name.toLowerCase();
  if (isNode(name) && Array.isArray(name.name)) {
    const last = name.name[name.name.length - 1];
    if (isNode(last) && typeof last.value === "string") return last.value.toLowerCase();
  }
  return undefined;
}

/** `NOT EXISTS (…)`, and `NOT (EXISTS (…))` as the grammars write it (a NOT function or unary over an EXISTS). */
function isNotExists(node: Node): boolean {
  if (node.type === "unary_expr" && String(node.operator).toUpperCase() === "NOT EXISTS") return true;
  const operand = negated(node);
  if (!isNode(operand)) return false;
  if (operand.type === "function") return functionName(operand) === "exists";
  return operand.type === "unary_expr" && String(operand.operator).toUpperCase() === "EXISTS";
}

function negated(node: Node): unknown {
  if (node.type === "unary_expr" && ["NOT", "!"].includes(String(node.operator).toUpperCase())) return node.expr;
  if (node.type === "function" && functionName(node) === "not" && isNode(node.args) && Array.isArray(node.args.value) && node.args.value.length === 1) return node.args.value[0];
  return undefined;
}

/** The statements a WITH names, by lower-cased name. */
function ctesOf(root: Node): Map<string, Node> {
  const ctes = new Map<string, Node>();
  if (!Array.isArray(root.with)) return ctes;
  for (const cte of root.with) {
    if (!isNode(cte) || !isNode(cte.stmt)) continue;
    const name = identifier(cte.name);
    if (name) ctes.set(name, isNode(cte.stmt.ast) ? cte.stmt.ast : cte.stmt);
  }
  return ctes;
}

function factsOf(main: Node, ctes: ReadonlyMap<string, Node>): StatementFacts {
  const facts: StatementFacts = { tables: [], columns: [], where: [], allocates: false };
  switch (main.type) {
    case "insert":
    case "replace": {
      facts.tables = tableEntries(main.table).slice(0, 1).flatMap(entryTable);
      // MySQL's `INSERT … SET a = 1` names its columns in the SET.
      const listed = Array.isArray(main.columns) ? main.columns.map(identifier) : assignmentColumns(main.set);
      facts.columns = unique(listed.filter((name): name is string => name !== undefined));
      facts.allocates = [...nodes([main.values, main.set])].some((node) => node.type === "binary_expr" && node.operator === "+" && (yieldsMax(node.left) || yieldsMax(node.right)));
      break;
    }
    case "update":
      facts.tables = updateTargets(main);
      facts.columns = unique(assignmentColumns(main.set).filter((name): name is string => name !== undefined));
      facts.where = whereColumns(main.where);
      break;
    case "delete":
      facts.tables = deleteTargets(main);
      facts.where = whereColumns(main.where);
      break;
    case "select":
      facts.tables = unique(readTables(main, ctes, new Set()));
      facts.where = whereColumns(main.where);
      break;
  }
  return facts;
}

/** An identifier in the dialects' shapes (`"n"`, `{ value: "n" }`, `{ expr: { value: "n" } }`), lower-cased. */
function identifier(value: unknown): string | undefined {
  if (typeof value === "string") return value.toLowerCase();
  if (!isNode(value)) return undefined;
  if (typeof value.value === "string") return value.value.toLowerCase();
  return isNode(value.expr) && typeof value.expr.value === "string" ? value.expr.value.toLowerCase() : undefined;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

function tableEntries(list: unknown): Node[] {
  return Array.isArray(list) ? list.filter(isNode) : [];
}

/** A FROM, JOIN or target entry's table, lower-cased and without its schema; nothing for a subquery or DUAL. */
function entryTable(entry: Node): string[] {
  return typeof entry.table === "string" ? [entry.table.toLowerCase()] : [];
}

/** Each alias, and each table's own name, to the table it stands for. */
function aliases(entries: readonly Node[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const table = entryTable(entry)[0];
    if (table === undefined) continue;
    if (!map.has(table)) map.set(table, table);
    if (typeof entry.as === "string") map.set(entry.as.toLowerCase(), table);
  }
  return map;
}

function assignmentColumns(set: unknown): (string | undefined)[] {
  return Array.isArray(set) ? set.filter(isNode).map((item) => columnName(item.column)) : [];
}

/** The tables whose columns an UPDATE sets (`UPDATE a JOIN b … SET b.n = 1` writes b); an unqualified SET writes the first. */
function updateTargets(update: Node): string[] {
  const entries = tableEntries(update.table);
  const byAlias = aliases(entries);
  const qualified = (Array.isArray(update.set) ? update.set.filter(isNode) : []).flatMap((item) => (typeof item.table === "string" ? [byAlias.get(item.table.toLowerCase()) ?? item.table.toLowerCase()] : []));
  return qualified.length > 0 ? unique(qualified) : entries.slice(0, 1).flatMap(entryTable);
}

/** The tables a DELETE removes rows from: its targets, which MySQL may name by their FROM aliases (`DELETE c FROM carts c`). */
function deleteTargets(del: Node): string[] {
  const byAlias = aliases([...tableEntries(del.from), ...tableEntries(del.table)]);
  const targets = tableEntries(del.table).length > 0 ? tableEntries(del.table) : tableEntries(del.from).slice(0, 1);
  return unique(targets.flatMap(entryTable).map((name) => byAlias.get(name) ?? name));
}

/** The tables a SELECT reads: its FROM and JOIN tables, those of the CTEs and derived tables it reads, and its UNION's. */
function readTables(select: Node, ctes: ReadonlyMap<string, Node>, seen: Set<Node>): string[] {
  if (seen.has(select)) return [];
  seen.add(select);
  const tables: string[] = [];
  for (const entry of tableEntries(select.from)) {
    const name = entryTable(entry)[0];
    const cte = name !== undefined && typeof entry.db !== "string" ? ctes.get(name) : undefined;
    const derived = isNode(entry.expr) && isNode(entry.expr.ast) ? entry.expr.ast : undefined;
    if (cte) tables.push(...(cte.type === "select" ? readTables(cte, ctes, seen) : factsOf(cte, ctes).tables));
    else if (derived) tables.push(...readTables(derived, ctes, seen));
    else if (name !== undefined) tables.push(name);
  }
  if (isNode(select._next)) tables.push(...readTables(select._next, ctes, seen));
  return tables;
}

/** The columns a WHERE compares, outside its subqueries (they compare their own tables' columns). */
function whereColumns(where: unknown): string[] {
  const columns: string[] = [];
  for (const node of nodes(where, (n) => isNode(n.ast) || n.type === "select")) {
    const name = node.type === "column_ref" ? columnName(node.column) : undefined;
    if (name !== undefined && name !== "*") columns.push(name);
  }
  return unique(columns);
}

const NULL_DEFAULTS = new Set(["coalesce", "ifnull", "nvl", "isnull"]);

/** `MAX(n)`, `COALESCE(MAX(n), 0)`, `(SELECT MAX(n) FROM t)`: the largest value the data holds now. */
function yieldsMax(value: unknown): boolean {
  if (!isNode(value)) return false;
  if (isNode(value.ast)) return yieldsMax(value.ast);
  if (value.type === "aggr_func") return functionName(value) === "max";
  if (value.type === "function" && NULL_DEFAULTS.has(functionName(value) ?? "")) {
    const args = isNode(value.args) && Array.isArray(value.args.value) ? value.args.value : [];
    return yieldsMax(args[0]);
  }
  if (value.type === "select" && Array.isArray(value.columns) && value.columns.length === 1) {
    const column = value.columns[0];
    return isNode(column) && yieldsMax(column.expr);
  }
  return false;
}
