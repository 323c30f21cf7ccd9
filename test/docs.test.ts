// The generated docs match the finder table and the rule files (run `npm run docs` after changing either).
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { existingRulePages, frameworksDoc, generatedDocs, rulePages, rulesDoc } from "../scripts/generate-docs.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

it("docs/frameworks.md is generated from the finder table", () => {
  expect(read("docs/frameworks.md")).toBe((frameworksDoc as () => string)());
});

it("docs/rules.md is generated from the rule files", () => {
  expect(read("docs/rules.md")).toBe((rulesDoc as () => string)());
});

it("docs/rules/ holds exactly one generated page per rule", () => {
  const pages = (rulePages as () => Record<string, string>)();
  expect((existingRulePages as () => string[])()).toEqual(Object.keys(pages).sort());
  for (const [file, text] of Object.entries(pages)) expect(read(file), file).toBe(text);
});

it("every rule page quotes a fixture and links only to files that exist", () => {
  const docs = (generatedDocs as () => Record<string, string>)();
  for (const [file, text] of Object.entries(docs)) {
    if (file.startsWith("docs/rules/")) expect(text, file).toContain("## Example\n\nFrom [`fixtures/");
    for (const [, target] of text.matchAll(/\]\(((?:\.\.\/|[\w-]+\/)[^)#\s]*)(?:#[^)]*)?\)/g)) {
      expect(fs.existsSync(path.join(ROOT, path.dirname(file), target ?? "")), `${file} → ${target}`).toBe(true);
    }
  }
});
