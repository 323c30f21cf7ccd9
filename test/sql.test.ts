// SQL text: the coordination features the keyword scan finds, and the look-alikes it must not.
import { describe, expect, it } from "vitest";
import { ts } from "ts-morph";
import { sqlFeatures, sqlTextOf } from "../src/sites/sql.js";

const features = (sql: string) => sqlFeatures(sql).map(({ feature, offset, ...rest }) => ({ feature, at: sql.slice(offset, offset + 6), ...rest }));

describe("sqlFeatures", () => {
  it.each([
    ["BEGIN", [{ feature: "begin", at: "BEGIN" }]],
    ["begin isolation level serializable", [{ feature: "begin", at: "begin ", isolation: "SERIALIZABLE" }]],
    ["START TRANSACTION ISOLATION LEVEL REPEATABLE READ", [{ feature: "begin", at: "START ", isolation: "REPEATABLE READ" }]],
    ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", [{ feature: "set-isolation", at: "SET TR", isolation: "READ COMMITTED" }]],
    ["SELECT * FROM t WHERE id = $1 FOR UPDATE", [{ feature: "for-update", at: "FOR UP" }]],
    ["SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED", [{ feature: "for-update", at: "FOR NO" }]],
    ["SELECT * FROM t FOR KEY SHARE", [{ feature: "for-share", at: "FOR KE" }]],
    ["SELECT * FROM t LOCK IN SHARE MODE", [{ feature: "for-share", at: "LOCK I" }]],
    ["LOCK TABLE accounts IN EXCLUSIVE MODE", [{ feature: "lock-table", at: "LOCK T" }]],
    ["SELECT pg_advisory_xact_lock(42)", [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "42", constant: true } }]],
    ["SELECT pg_try_advisory_lock(hashtext($1))", [{ feature: "advisory-lock", at: "pg_try", resource: { expression: "hashtext($1)", constant: false } }]],
    ["SELECT GET_LOCK(?, 10)", [{ feature: "advisory-lock", at: "GET_LO", resource: { expression: "?, 10", constant: false } }]],
    ["SELECT pg_advisory_xact_lock(hashtext(:id))", [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "hashtext(:id)", constant: false } }]],
    ["SELECT pg_advisory_xact_lock('7'::bigint)", [{ feature: "advisory-lock", at: "pg_adv", resource: { expression: "'7'::bigint", constant: true } }]],
    ["DELETE FROM sessions WHERE expires_at < now()", [{ feature: "delete", at: "DELETE" }]],
    ["BEGIN; SELECT 1 FROM t FOR UPDATE; COMMIT", [{ feature: "begin", at: "BEGIN;" }, { feature: "for-update", at: "FOR UP" }]],
  ])("finds the features of %s", (sql, expected) => {
    expect(features(sql)).toEqual(expected);
  });

  it.each([
    ["SELECT * FROM t -- FOR UPDATE later"],
    ["SELECT * FROM t /* LOCK TABLE t */"],
    ["SELECT 'FOR UPDATE' AS note, \"LOCK\" FROM t"],
    ["SELECT $$ BEGIN; DELETE FROM x; $$"],
    ["UPDATE t SET deleted = true WHERE id = $1"],
    ["SELECT begin_at, for_update FROM schedule"],
    ["COMMIT"],
    ["SELECT lock_timeout FROM settings"],
  ])("finds nothing in %s", (sql) => {
    expect(sqlFeatures(sql)).toEqual([]);
  });
});

describe("sqlTextOf", () => {
  const parse = (code: string) => {
    const sourceFile = ts.createSourceFile("q.ts", code, ts.ScriptTarget.ES2022, true);
    const call = (sourceFile.statements[0] as ts.ExpressionStatement).expression as ts.CallExpression;
    return { sourceFile, arg: call.arguments[0] ?? (call as unknown as ts.TaggedTemplateExpression) };
  };

  it("maps a keyword inside a multi-line template back to its line and column", () => {
    const { sourceFile, arg } = parse("q(\n  `SELECT a\n     FROM s\n      FOR UPDATE`);");
    const text = sqlTextOf(arg)!;
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!)).toEqual({ line: 3, character: 6 });
  });

  it("treats interpolations as parameters and keeps positions after them", () => {
    const { sourceFile, arg } = parse("q(`SELECT * FROM t WHERE id = ${id} FOR UPDATE`);");
    const text = sqlTextOf(arg)!;
    expect(text.text).toBe("SELECT * FROM t WHERE id = $1 FOR UPDATE");
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!)).toEqual({ line: 0, character: 36 });
  });

  it("steps over escapes in string literals", () => {
    const { sourceFile, arg } = parse('q("SELECT \\"x\\" FROM t FOR UPDATE");');
    const text = sqlTextOf(arg)!;
    const match = sqlFeatures(text.text)[0]!;
    expect(sourceFile.getLineAndCharacterOfPosition(text.sourcePos[match.offset]!).character).toBe(23);
  });
});
