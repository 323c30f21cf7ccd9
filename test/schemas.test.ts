// The shipped schemas hold: every rule file validates, every rule is exercised by a fixture, fixture configurations validate, and reports validate against the report schema.
import fs from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { parse } from "jsonc-parser";
import { globSync } from "tinyglobby";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/index.js";
import { builtinRuleFiles, loadRules } from "../src/sites/rules.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as unknown;

describe("rule files", () => {
  it("all validate and have unique ids", () => {
    expect(() => loadRules()).not.toThrow();
  });

  it("rejects a malformed rule file naming the file and the JSON path", () => {
    const bad = path.join(ROOT, "test/cases/bad-rule.json");
    expect(() => loadRules([bad])).toThrow(`Invalid rule file ${bad} at /sites/0/kind: must be equal to one of the allowed values`);
  });

  it("every rule is exercised by at least one fixture's expected sites", () => {
    const fixtures = fs.readdirSync(path.join(ROOT, "fixtures")).filter((n) => fs.existsSync(path.join(ROOT, "fixtures", n, "expected.json")));
    const used = new Set<string>();
    for (const name of fixtures) {
      const expected = readJson(path.join(ROOT, "fixtures", name, "expected.json")) as { sites: { rule: string }[] };
      for (const site of expected.sites) used.add(site.rule);
    }
    const unused = loadRules(builtinRuleFiles()).sites.map((r) => r.id).filter((id) => !used.has(id));
    expect(unused).toEqual([]);
  });
});

describe("config schema", () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(readJson(path.join(ROOT, "src/schema/config.schema.json")) as object);
  const fixtureConfigs = fs
    .readdirSync(path.join(ROOT, "fixtures"))
    .flatMap((name) => ["coordlint.config.json", "coordlint.config.jsonc"].map((file) => path.join(ROOT, "fixtures", name, file)))
    .filter((file) => fs.existsSync(file));

  it.each(fixtureConfigs.map((file) => path.relative(ROOT, file)))("%s validates, and its rule files too", (file) => {
    const config = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as { ruleFiles?: string[] };
    validate(config);
    expect(validate.errors ?? []).toEqual([]);
    const ruleFiles = globSync(config.ruleFiles ?? [], { cwd: path.dirname(path.join(ROOT, file)), absolute: true });
    expect(() => loadRules([...builtinRuleFiles(), ...ruleFiles])).not.toThrow();
  });

  it("rejects unknown keys", () => {
    expect(validate({ ruleFiles: [], rule: {} })).toBe(false);
  });
});

describe("report schema", () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(readJson(path.join(ROOT, "src/schema/report.schema.json")) as object);

  it.each(fs.readdirSync(path.join(ROOT, "fixtures")).filter((n) => fs.existsSync(path.join(ROOT, "fixtures", n, "expected.json"))).sort())(
    "a report of fixture %s validates",
    async (name) => {
      const report = await analyze({ paths: [path.join(ROOT, "fixtures", name)] });
      validate(report);
      expect(validate.errors ?? []).toEqual([]);
    },
  );
});
