// The generated coverage docs match the finder table and the rule files (run `npm run docs` after changing either).
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { frameworksDoc, rulesDoc } from "../scripts/generate-docs.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");

it("docs/frameworks.md is generated from the finder table", () => {
  expect(fs.readFileSync(path.join(ROOT, "docs/frameworks.md"), "utf8")).toBe((frameworksDoc as () => string)());
});

it("docs/rules.md is generated from the rule files", () => {
  expect(fs.readFileSync(path.join(ROOT, "docs/rules.md"), "utf8")).toBe((rulesDoc as () => string)());
});
