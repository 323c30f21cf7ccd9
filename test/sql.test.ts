// SQL text: the features found in parsed statements (and by the keyword scan where parsing fails), the statements described, and the look-alikes that must not match.
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import type { SqlDialect } from "../src/sites/rules.js";
import { parseStatement } from "../src/sites/sql-ast.js";
import { sqlFeatures, sqlTextOf } from "../src/sites/sql.js";

const features = (sql: string, dialect?: SqlDialect) => sqlFeatures(sql, dialect).map(({ feature, offset, ...rest }) => ({ feature, at: sql.slice(offset, offset + 6), ...rest }));

describe("sqlFeatures: parsed statements", () => {
  it.each<[string, SqlDialect | undefined, unknown[]]>([
    ["BEGIN", "postgresql", [{ feature: "begin", at: "BEGIN", parsed: true, statement: { type: "begin" } }]],
    ["begin isolation level serializable", "postgresql", [{ feature: "begin", at: "begin ", isolation: "SERIALIZABLE", parsed: true, statement: { type: "begin" } }]],
    ["START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "postgresql", [{ feature: "begin", at: "START ", isolation: "REPEATABLE READ", parsed: true, statement: { type: "begin" } }]],
    ["BEGIN IMMEDIATE TRANSACTION", "sqlite", [{ feature: "begin", at: "BEGIN ", parsed: true, statement: { type: "begin" } }]],
    ["START TRANSACTION WITH CONSISTENT SNAPSHOT", "mysql", [{ feature: "begin", at: "START ", parsed: true, statement: { type: "begin" } }]],
    ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "postgresql", [{ feature: "set-isolation", at: "SET TR", isolation: "READ COMMITTED", parsed: true, statement: { type: "set-transaction" } }]],
    ["SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", "mysql", [{ feature: "set-isolation", at: "SET SE", isolation: "READ UNCOMMITTED", parsed: true, statement: { type: "set-transaction" } }]],
    ["SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "postgresql", [{ feature: "set-isolation", at: "SET SE", isolation: "SERIALIZABLE", parsed: true, statement: { type: "set-transaction" } }]],
    ["SELECT * FROM t WHERE id = $1 FOR UPDATE", "postgresql", [{ feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "select", lock: "update" } }]],
    ["SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1", "postgresql", [{ feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "select", lock: "update", skipLocked: true } }]],
    ["SELECT * FROM a JOIN b ON b.a_id = a.id FOR NO KEY UPDATE OF a, public.b NOWAIT", "postgresql", [{ feature: "for-update", at: "FOR NO", parsed: true, statement: { type: "select", lock: "no key update", nowait: true } }]],
    ["SELECT * FROM t FOR KEY SHARE", "postgresql", [{ feature: "for-share", at: "FOR KE", parsed: true, statement: { type: "select", lock: "key share" } }]],
    ["SELECT * FROM t WHERE id = ? FOR SHARE", "mysql", [{ feature: "for-share", at: "FOR SH", parsed: true, statement: { type: "select", lock: "share" } }]],
    ["SELECT * FROM t WHERE id = ? LOCK IN SHARE MODE", "mysql", [{ feature: "for-share", at: "LOCK I", parsed: true, statement: { type: "select", lock: "share" } }]],
    ["SELECT * FROM t WHERE id = ? FOR UPDATE WAIT 5", "mariadb", [{ feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "select", lock: "update" } }]],
    [
      "UPDATE jobs SET status = 'running' WHERE id = (SELECT id FROM jobs WHERE status = 'queued' FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING *",
      "postgresql",
      [{ feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "update", assigns: true, lock: "update", skipLocked: true } }],
    ],
    ["LOCK TABLE accounts IN EXCLUSIVE MODE", "postgresql", [{ feature: "lock-table", at: "LOCK T", resource: { expression: "accounts", constant: true }, parsed: true, statement: { type: "lock-table" } }]],
    ["LOCK TABLES inventory WRITE, orders AS o READ", "mysql", [{ feature: "lock-table", at: "LOCK T", resource: { expression: "inventory, orders", constant: true }, parsed: true, statement: { type: "lock-table" } }]],
    ["SELECT pg_advisory_xact_lock(42)", "postgresql", [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "42", constant: true }, parsed: true, statement: { type: "select" } }]],
    ["SELECT pg_try_advisory_lock(hashtext($1))", "postgresql", [{ feature: "advisory-lock", at: "pg_try", resource: { expression: "hashtext($1)", constant: false }, parsed: true, statement: { type: "select" } }]],
    ["SELECT pg_advisory_xact_lock('7'::bigint)", "postgresql", [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "'7'::bigint", constant: true }, parsed: true, statement: { type: "select" } }]],
    ["SELECT pg_advisory_xact_lock(hashtext(:id))", undefined, [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "hashtext(:id)", constant: false }, parsed: true, statement: { type: "select" } }]],
    ["SELECT GET_LOCK(?, 10)", "mysql", [{ feature: "advisory-lock", at: "GET_LO", resource: { expression: "?, 10", constant: false }, parsed: true, statement: { type: "select" } }]],
    ["SELECT GET_LOCK('nightly', 0) AS acquired", "mysql", [{ feature: "advisory-lock", at: "GET_LO", resource: { expression: "'nightly', 0", constant: true }, parsed: true, statement: { type: "select" } }]],
    ["DELETE FROM sessions WHERE expires_at < now()", "postgresql", [{ feature: "delete", at: "DELETE", parsed: true, statement: { type: "delete" } }]],
    ["DELETE FROM carts WHERE id = ?", "sqlite", [{ feature: "delete", at: "DELETE", parsed: true, statement: { type: "delete" } }]],
    [
      "UPDATE counters SET value = value + 1 WHERE name = 'invoice' RETURNING value",
      "postgresql",
      [{ feature: "counter-update", at: "UPDATE", resource: { expression: "counters WHERE name = 'invoice'", constant: true }, parsed: true, statement: { type: "update", increments: true } }],
    ],
    [
      "UPDATE counters SET value = COALESCE(value, 0) + 1 WHERE name = 'invoice'",
      "postgresql",
      [{ feature: "counter-update", at: "UPDATE", resource: { expression: "counters WHERE name = 'invoice'", constant: true }, parsed: true, statement: { type: "update", increments: true } }],
    ],
    ["UPDATE invoice_seq SET n = n + 1 RETURNING n", "postgresql", [{ feature: "counter-update", at: "UPDATE", resource: { expression: "invoice_seq", constant: true }, parsed: true, statement: { type: "update", increments: true } }]],
    [
      "UPDATE posts SET likes = likes + 1 WHERE id = $1",
      "postgresql",
      [{ feature: "counter-update", at: "UPDATE", resource: { expression: "posts WHERE id = $1", constant: false }, parsed: true, statement: { type: "update", increments: true } }],
    ],
    [
      "UPDATE sequences SET next_id = next_id + 1 WHERE name = ?",
      "mysql",
      [{ feature: "counter-update", at: "UPDATE", resource: { expression: "sequences WHERE name = ?", constant: false }, parsed: true, statement: { type: "update", increments: true } }],
    ],
    [
      "WITH gone AS (DELETE FROM t WHERE id = $1 RETURNING id) SELECT pg_advisory_xact_lock(id) FROM gone",
      "postgresql",
      [
        { feature: "delete", at: "DELETE", parsed: true, statement: { type: "delete" } },
        { feature: "advisory-lock", at: "pg_adv", resource: { expression: "id", constant: true }, parsed: true, statement: { type: "delete" } },
      ],
    ],
    [
      "WITH next AS (SELECT id FROM counters WHERE name = 'invoice' FOR UPDATE) UPDATE counters SET value = value + 1 WHERE id IN (SELECT id FROM next)",
      "postgresql",
      [
        { feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "update", increments: true, lock: "update" } },
        { feature: "counter-update", at: "UPDATE", resource: { expression: "counters WHERE id IN (SELECT id FROM next)", constant: true }, parsed: true, statement: { type: "update", increments: true, lock: "update" } },
      ],
    ],
    [
      "BEGIN; SELECT 1 FROM t FOR UPDATE; DELETE FROM t WHERE id = 1; COMMIT;",
      "postgresql",
      [
        { feature: "begin", at: "BEGIN;", parsed: true, statement: { type: "begin" } },
        { feature: "for-update", at: "FOR UP", parsed: true, statement: { type: "select", lock: "update" } },
        { feature: "delete", at: "DELETE", parsed: true, statement: { type: "delete" } },
      ],
    ],
  ])("%s (%s)", (sql, dialect, expected) => {
    expect(features(sql, dialect)).toEqual(expected);
  });
});

describe("sqlFeatures: statements that do not parse fall back to the keyword scan", () => {
  it.each<[string, SqlDialect | undefined, unknown[]]>([
    // node-sql-parser 5's PostgreSQL grammar reads no array-typed cast.
    ["SELECT id FROM t WHERE id = ANY($1::uuid[]) FOR UPDATE", "postgresql", [{ feature: "for-update", at: "FOR UP", parsed: false }]],
    // A locking clause on a DELETE: no SELECT holds it.
    ["DELETE FROM t WHERE id = 1 FOR UPDATE", "postgresql", [{ feature: "delete", at: "DELETE", parsed: false }, { feature: "for-update", at: "FOR UP", parsed: false }]],
    // MySQL has no FOR NO KEY UPDATE, SQLite no locking clause at all.
    ["SELECT * FROM t FOR NO KEY UPDATE", "mysql", [{ feature: "for-update", at: "FOR NO", parsed: false }]],
    ["SELECT * FROM t FOR UPDATE", "sqlite", [{ feature: "for-update", at: "FOR UP", parsed: false }]],
    ["BEGIN TRANSACTION ISOLATION LEVEL SNAPSHOT", "postgresql", [{ feature: "begin", at: "BEGIN ", isolation: "SNAPSHOT", parsed: false }]],
    // Nor a DELETE after WITH.
    ["WITH old AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM old)", "postgresql", [{ feature: "delete", at: "DELETE", parsed: false }]],
    [
      "UPDATE counters SET value = value + 1 WHERE name = ANY($1::uuid[])",
      "postgresql",
      [{ feature: "counter-update", at: "UPDATE", resource: { expression: "counters WHERE name = ANY($1::uuid[])", constant: false }, parsed: false }],
    ],
  ])("%s (%s)", (sql, dialect, expected) => {
    expect(features(sql, dialect)).toEqual(expected);
  });
});

describe("sqlFeatures: look-alikes", () => {
  it.each<[string, SqlDialect | undefined]>([
    ["SELECT * FROM t -- FOR UPDATE later", "postgresql"],
    ["SELECT * FROM t /* LOCK TABLE t */", "postgresql"],
    ["SELECT 'FOR UPDATE' AS note, \"LOCK\" FROM t", "postgresql"],
    ["SELECT * FROM t WHERE note = 'it\\'s FOR UPDATE'", "mysql"],
    ["SELECT * FROM t WHERE note = E'it\\'s FOR UPDATE'", "postgresql"],
    ["SELECT 1 # GET_LOCK('all', 10)", "mysql"],
    ["SELECT RELEASE_LOCK('nightly')", "mysql"],
    ["SELECT pg_advisory_unlock(42)", "postgresql"],
    ["SELECT id, lock FROM accounts WHERE id = $1", "postgresql"],
    ["UPDATE accounts SET lock = true WHERE id = $1", "postgresql"],
    ["SELECT $$ BEGIN; DELETE FROM x; $$", "postgresql"],
    ["UPDATE t SET deleted = true WHERE id = $1", "postgresql"],
    ["UPDATE counters SET value = $2 WHERE name = 'invoice'", "postgresql"],
    ["UPDATE counters SET value = $1 - value WHERE name = 'invoice'", "postgresql"],
    ["INSERT INTO subscribers (email) VALUES ($1) ON CONFLICT (email) DO NOTHING", "postgresql"],
    ["INSERT INTO views (sku, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1", "mysql"],
    ["SELECT begin_at, for_update FROM schedule", undefined],
    ["COMMIT", undefined],
    ["ROLLBACK TO SAVEPOINT before_items", "postgresql"],
    ["RELEASE SAVEPOINT before_items", "mysql"],
    ["SELECT lock_timeout FROM settings", undefined],
  ])("%s (%s)", (sql, dialect) => {
    expect(sqlFeatures(sql, dialect)).toEqual([]);
  });
});

describe("sqlFeatures: statements as state operations", () => {
  const statements = (sql: string, dialect?: SqlDialect) =>
    sqlFeatures(sql, dialect, new Set(), { statements: true })
      .filter((m) => m.feature === "statement")
      .map(({ offset, parsed, statement, facts }) => ({ at: sql.slice(offset, offset + 6), parsed, statement, facts }));
  const facts = (tables: string[], columns: string[], where: string[], allocates = false) => ({ tables, columns, where, allocates });

  it.each<[string, SqlDialect | undefined, unknown[]]>([
    ["UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", "postgresql", [{ at: "UPDATE", parsed: true, statement: { type: "update", increments: true }, facts: facts(["accounts"], ["balance"], ["id", "balance"]) }]],
    [
      "UPDATE public.orders AS o SET status = $1, updated_at = now() WHERE o.id = $2",
      "postgresql",
      [{ at: "UPDATE", parsed: true, statement: { type: "update", assigns: true }, facts: facts(["orders"], ["status", "updated_at"], ["id"]) }],
    ],
    [
      "UPDATE `shop`.`Accounts` a JOIN users u ON u.id = a.user_id SET a.balance = a.balance - ? WHERE a.id = ? AND a.balance >= ?",
      "mysql",
      [{ at: "UPDATE", parsed: true, statement: { type: "update", increments: true }, facts: facts(["accounts"], ["balance"], ["id", "balance"]) }],
    ],
    ["UPDATE a JOIN b ON b.id = a.b_id SET b.n = ? WHERE a.id = ?", "mysql", [{ at: "UPDATE", parsed: true, statement: { type: "update", assigns: true }, facts: facts(["b"], ["n"], ["id"]) }]],
    ["UPDATE notes SET body = :body WHERE id = :id", "sqlite", [{ at: "UPDATE", parsed: true, statement: { type: "update", assigns: true }, facts: facts(["notes"], ["body"], ["id"]) }]],
    [
      "INSERT INTO subscribers (email) VALUES ($1) ON CONFLICT (email) DO NOTHING",
      "postgresql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert", onConflict: "nothing" }, facts: facts(["subscribers"], ["email"], []) }],
    ],
    [
      'INSERT INTO invoices (org_id, "Number") SELECT $1, COALESCE(MAX(number), 0) + 1 FROM invoices WHERE org_id = $1',
      "postgresql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["invoices"], ["org_id", "number"], [], true) }],
    ],
    [
      "INSERT INTO invoices (org_id, number) SELECT ?, IFNULL(MAX(number), 0) + 1 FROM invoices WHERE org_id = ?",
      "mysql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["invoices"], ["org_id", "number"], [], true) }],
    ],
    [
      "INSERT INTO tickets (event_id, seat) VALUES ($1, (SELECT MAX(seat) FROM tickets WHERE event_id = $1) + 1)",
      "postgresql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["tickets"], ["event_id", "seat"], [], true) }],
    ],
    // The largest value copied, or a parameter plus one: no number allocated from the data.
    ["INSERT INTO snapshots (top) SELECT MAX(score) FROM scores", "postgresql", [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["snapshots"], ["top"], []) }]],
    ["INSERT INTO pages (n) VALUES ($1 + 1)", "postgresql", [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["pages"], ["n"], []) }]],
    [
      "INSERT INTO users (email) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = $1)",
      "postgresql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert", notExists: true }, facts: facts(["users"], ["email"], []) }],
    ],
    [
      "INSERT INTO users (email) SELECT ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = ?)",
      "mysql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert", notExists: true }, facts: facts(["users"], ["email"], []) }],
    ],
    ["INSERT INTO t SET a = ?, b = ?", "mysql", [{ at: "INSERT", parsed: true, statement: { type: "insert" }, facts: facts(["t"], ["a", "b"], []) }]],
    [
      "INSERT INTO views (sku, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
      "mysql",
      [{ at: "INSERT", parsed: true, statement: { type: "insert", onConflict: "update", increments: true }, facts: facts(["views"], ["sku", "n"], []) }],
    ],
    ['DELETE FROM public."Sessions" WHERE expires_at < now()', "postgresql", [{ at: "DELETE", parsed: true, statement: { type: "delete" }, facts: facts(["sessions"], [], ["expires_at"]) }]],
    ["DELETE c FROM carts c JOIN users u ON u.id = c.user_id WHERE c.user_id = ?", "mysql", [{ at: "DELETE", parsed: true, statement: { type: "delete" }, facts: facts(["carts"], [], ["user_id"]) }]],
    ["SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", "postgresql", [{ at: "SELECT", parsed: true, statement: { type: "select", lock: "update" }, facts: facts(["accounts"], [], ["id"]) }]],
    ["SELECT * FROM stock WHERE sku = ? FOR UPDATE", "mysql", [{ at: "SELECT", parsed: true, statement: { type: "select", lock: "update" }, facts: facts(["stock"], [], ["sku"]) }]],
    [
      "WITH open AS (SELECT id, total, customer_id FROM public.orders WHERE status = 'open') SELECT * FROM open JOIN customers c ON c.id = open.customer_id WHERE open.total >= $1 AND c.id IN (SELECT customer_id FROM vips)",
      "postgresql",
      [{ at: "WITH o", parsed: true, statement: { type: "select" }, facts: facts(["orders", "customers"], [], ["total", "id"]) }],
    ],
    [
      "WITH gone AS (DELETE FROM carts WHERE expires_at < now() RETURNING id) SELECT count(*) FROM gone",
      "postgresql",
      [{ at: "WITH g", parsed: true, statement: { type: "delete" }, facts: facts(["carts"], [], ["expires_at"]) }],
    ],
    [
      "SELECT a.id FROM shop.accounts AS a LEFT JOIN `Users` u ON u.id = a.user_id WHERE a.balance >= ? UNION SELECT id FROM archived",
      "mysql",
      [{ at: "SELECT", parsed: true, statement: { type: "select" }, facts: facts(["accounts", "users", "archived"], [], ["balance"]) }],
    ],
    ["SELECT * FROM t WHERE id = ?", undefined, [{ at: "SELECT", parsed: true, statement: { type: "select" }, facts: facts(["t"], [], ["id"]) }]],
    [
      "BEGIN; SELECT n FROM seq WHERE name = $1 FOR UPDATE; UPDATE seq SET n = n + 1 WHERE name = $1; COMMIT",
      "postgresql",
      [
        { at: "SELECT", parsed: true, statement: { type: "select", lock: "update" }, facts: facts(["seq"], [], ["name"]) },
        { at: "UPDATE", parsed: true, statement: { type: "update", increments: true }, facts: facts(["seq"], ["n"], ["name"]) },
      ],
    ],
  ])("%s (%s)", (sql, dialect, expected) => {
    expect(statements(sql, dialect)).toEqual(expected);
  });

  it.each<[string, SqlDialect | undefined]>([
    ["SELEC * FROM t", "postgresql"],
    // PostgreSQL's grammar reads neither an array-typed cast nor a DELETE after WITH: no statement, the keyword scan only.
    ["SELECT id FROM t WHERE id = ANY($1::uuid[]) FOR UPDATE", "postgresql"],
    ["WITH old AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM old)", "postgresql"],
    ["SELECT * FROM t FOR UPDATE", "sqlite"],
    [`INSERT INTO t (a) VALUES ${Array.from({ length: 2_000 }, () => "(1)").join(", ")}`, "postgresql"],
    // Reads no table, or is no query or write.
    ["SELECT pg_advisory_xact_lock(42)", "postgresql"],
    ["SELECT now()", "postgresql"],
    ["BEGIN", "postgresql"],
    ["LOCK TABLE accounts IN EXCLUSIVE MODE", "postgresql"],
    ["CREATE TABLE t (id int)", "postgresql"],
  ])("no statement for %s (%s)", (sql, dialect) => {
    expect(statements(sql, dialect)).toEqual([]);
  });

  it("comes first of its statement's matches, and only when asked for", () => {
    const sql = "SELECT * FROM t WHERE id = $1 FOR UPDATE";
    expect(sqlFeatures(sql, "postgresql", new Set(), { statements: true }).map((m) => m.feature)).toEqual(["statement", "for-update"]);
    expect(sqlFeatures(sql, "postgresql").map((m) => m.feature)).toEqual(["for-update"]);
    expect(sqlFeatures("SELECT * FROM t WHERE id = $1", "postgresql")).toEqual([]);
  });

  it("hands out facts a caller may change without changing the next answer", () => {
    const sql = "UPDATE t SET n = $1 WHERE id = $2";
    sqlFeatures(sql, "postgresql", new Set(), { statements: true })[0]!.facts!.tables.push("other");
    expect(sqlFeatures(sql, "postgresql", new Set(), { statements: true })[0]!.facts!.tables).toEqual(["t"]);
  });
});

describe("parseStatement: what a statement does", () => {
  it.each<[string, SqlDialect, unknown]>([
    ["INSERT INTO t (a) VALUES ($1)", "postgresql", { type: "insert" }],
    ["INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO NOTHING", "postgresql", { type: "insert", onConflict: "nothing" }],
    ["INSERT INTO t (a, n) VALUES ($1, 1) ON CONFLICT (a) DO UPDATE SET n = t.n + EXCLUDED.n", "postgresql", { type: "insert", onConflict: "update", increments: true }],
    ["INSERT INTO t (a, n) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET n = EXCLUDED.n", "postgresql", { type: "insert", onConflict: "update", assigns: true }],
    ["INSERT INTO v (sku, views) VALUES (?, 1) ON DUPLICATE KEY UPDATE views = views + 1", "mysql", { type: "insert", onConflict: "update", increments: true }],
    ["INSERT INTO v (sku, views) VALUES (?, 1) ON DUPLICATE KEY UPDATE views = VALUES(views)", "mysql", { type: "insert", onConflict: "update", assigns: true }],
    ["INSERT IGNORE INTO t (a) VALUES (?)", "mysql", { type: "insert", onConflict: "nothing" }],
    ["REPLACE INTO t (a) VALUES (?)", "mariadb", { type: "insert", onConflict: "replace" }],
    ["INSERT OR IGNORE INTO t (a) VALUES (?)", "sqlite", { type: "insert", onConflict: "nothing" }],
    ["INSERT OR REPLACE INTO t (a) VALUES (?)", "sqlite", { type: "insert", onConflict: "replace" }],
    ["UPDATE t SET n = n + 1, status = $1 WHERE id = $2", "postgresql", { type: "update", increments: true, assigns: true }],
    ["UPDATE t SET n = n - ? WHERE id = ?", "mysql", { type: "update", increments: true }],
    ["UPDATE t SET n = $1 - n WHERE id = $2", "postgresql", { type: "update", assigns: true }],
    ["INSERT INTO u (name) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM u WHERE name = $1)", "postgresql", { type: "insert", notExists: true }],
    ["INSERT INTO u (name) SELECT ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM u WHERE name = ?)", "mysql", { type: "insert", notExists: true }],
    ["SELECT * FROM t WHERE NOT (EXISTS (SELECT 1 FROM u))", "mysql", { type: "select", notExists: true }],
    ["SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u)", "postgresql", { type: "select" }],
    ["DELETE FROM t WHERE id = $1", "postgresql", { type: "delete" }],
    ["CREATE TABLE t (id int)", "postgresql", { type: "other" }],
  ])("%s (%s)", (sql, dialect, expected) => {
    expect(parseStatement(sql, [dialect])?.statement).toEqual(expected);
  });

  it("tries the dialects in order and gives up when none parses", () => {
    expect(parseStatement("SELECT * FROM t WHERE id = ? FOR UPDATE", ["postgresql", "mysql"])?.statement).toEqual({ type: "select" });
    expect(parseStatement("SELECT FROM WHERE", ["postgresql", "mysql"])).toBeUndefined();
  });
});

describe("sqlTextOf", () => {
  const first = (code: string) => {
    const sourceFile = ts.createSourceFile("q.ts", code, ts.ScriptTarget.ES2022, true);
    const expr = (sourceFile.statements[0] as ts.ExpressionStatement).expression;
    return { sourceFile, arg: ts.isCallExpression(expr) ? expr.arguments[0]! : expr };
  };

  it("maps a keyword inside a multi-line template back to its line and column", () => {
    const { sourceFile, arg } = first("q(\n  `SELECT a\n     FROM s\n      FOR UPDATE`);");
    const text = sqlTextOf(arg)!;
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!)).toEqual({ line: 3, character: 6 });
  });

  it("treats interpolations as parameters and keeps positions after them", () => {
    const { sourceFile, arg } = first("q(`SELECT * FROM t WHERE id = ${id} FOR UPDATE`);");
    const text = sqlTextOf(arg)!;
    expect(text.text).toBe("SELECT * FROM t WHERE id = $1 FOR UPDATE");
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!)).toEqual({ line: 0, character: 36 });
  });

  it.each([
    ["prisma.$queryRaw`SELECT * FROM t WHERE id = ${id}::uuid FOR UPDATE`;", "SELECT * FROM t WHERE id = $1::uuid FOR UPDATE"],
    ["Prisma.sql`SELECT pg_advisory_xact_lock(${key}); SELECT ${a}, ${b}`;", "SELECT pg_advisory_xact_lock($1); SELECT $2, $3"],
    ["sql`UPDATE counters SET n = n + 1 WHERE name = ${NAME}`;", "UPDATE counters SET n = n + 1 WHERE name = $1"],
  ])("reads the tagged template %s", (code, expected) => {
    const { arg } = first(code);
    expect(sqlTextOf(arg)?.text).toBe(expected);
  });

  it("parses a tagged template's text with its interpolations as parameters", () => {
    const text = sqlTextOf(first("prisma.$queryRaw`SELECT * FROM t WHERE id = ${id}::uuid FOR UPDATE`;").arg)!;
    expect(sqlFeatures(text.text, "postgresql").map((m) => [m.feature, m.parsed, m.statement])).toEqual([["for-update", true, { type: "select", lock: "update" }]]);
  });

  it("steps over escapes in string literals", () => {
    const { sourceFile, arg } = first('q("SELECT \\"x\\" FROM t FOR UPDATE");');
    const text = sqlTextOf(arg)!;
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!).character).toBe(23);
  });
});
