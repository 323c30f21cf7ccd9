// The configuration through the programmatic API: discovery by default, `configFile`, and inline `config` over the file's.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/index.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIXTURE = path.join(ROOT, "fixtures/custom-rules");
const ruleIds = async (options: Parameters<typeof analyze>[0]) => (await analyze({ paths: [FIXTURE], ...options })).sites.map((s) => s.rule);

describe("analyze() configuration", () => {
  it("finds the configuration above the analysed root unless configFile is false", async () => {
    expect(await ruleIds({})).toEqual(["acme-locks/with-lock", "acme-locks/try-acquire"]);
    expect(await ruleIds({ configFile: false })).toEqual([]);
  });

  it("takes inline ruleFiles (relative to cwd) over the file's", async () => {
    expect(await ruleIds({ configFile: false, cwd: FIXTURE, config: { ruleFiles: ["coordination-rules/acme-*.json"] } })).toEqual(["acme-locks/with-lock", "acme-locks/try-acquire"]);
    expect(await ruleIds({ config: { ruleFiles: [] } })).toEqual([]);
  });

  it("rejects an inline configuration with an unknown key", async () => {
    await expect(analyze({ paths: [FIXTURE], config: { budgets: [] } as never })).rejects.toThrow('Invalid config in the analyze() options: unknown key "budgets"');
  });
});
