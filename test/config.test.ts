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

  it("gives each finding its rule's configured severity, drops rules turned off, and keeps the defaults for the rest", async () => {
    const calm = path.join(ROOT, "fixtures/calm-signup-prisma");
    const ruleOf = (f: { rule: string; severity: string; line: number; file: string }) => `${f.severity} ${f.rule} ${f.file}:${f.line}`;
    const defaults = (await analyze({ paths: [calm], configFile: false })).findings.map(ruleOf);
    expect(defaults).toEqual([
      "warning calm/unneeded-coordination src/services/order-service.ts:6",
      "warning fanout/all-shards src/services/search-service.ts:9",
      "warning fanout/partial-results src/services/search-service.ts:14",
      "error calm/unguarded-non-monotonic src/services/signup-service.ts:13",
      "error calm/unguarded-non-monotonic src/services/wallet-service.ts:13",
      "error calm/unguarded-non-monotonic src/services/wallet-service.ts:26",
      "warning hat/unavailable-isolation src/services/wallet-service.ts:31",
    ]);
    const configured = await analyze({
      paths: [calm],
      configFile: false,
      config: { rules: { "calm/unguarded-non-monotonic": "warn", "fanout/all-shards": "off", "fanout/partial-results": "off", "hat/unavailable-isolation": "error" } },
    });
    expect(configured.findings.map(ruleOf)).toEqual([
      "warning calm/unneeded-coordination src/services/order-service.ts:6",
      "warning calm/unguarded-non-monotonic src/services/signup-service.ts:13",
      "warning calm/unguarded-non-monotonic src/services/wallet-service.ts:13",
      "warning calm/unguarded-non-monotonic src/services/wallet-service.ts:26",
      "error hat/unavailable-isolation src/services/wallet-service.ts:31",
    ]);
  });

  it("rejects a severity that is not off, warn or error, and a rule id that is not a finding rule, naming the JSON path", async () => {
    await expect(analyze({ paths: [FIXTURE], config: { rules: { "fanout/all-shards": "warning" } } as never })).rejects.toThrow(
      "Invalid config in the analyze() options at /rules/fanout~1all-shards: must be equal to one of the allowed values",
    );
    await expect(analyze({ paths: [FIXTURE], config: { rules: { "calm/races": "off" } } as never })).rejects.toThrow('Invalid config in the analyze() options: unknown key "calm/races" in /rules');
  });

  it("reports each handler over the last budget matching it, by name, framework and file", async () => {
    const calm = path.join(ROOT, "fixtures/calm-signup-prisma");
    const over = async (budgets: unknown[]) =>
      (await analyze({ paths: [calm], configFile: false, config: { budgets } as never })).findings
        .filter((f) => f.rule === "budget/exceeded")
        .map((f) => `${f.severity} ${f.handlers[0]} ${f.api}`);
    // Reads stay coordination-free; everything else may be data-dependent, but the signup lock may coordinate.
    expect(await over([{ handlers: "GET *", max: "uncoordinated" }, { handlers: "POST *", max: "data-dependent" }, { handlers: "POST /signup/*", framework: "express", max: "coordinated" }])).toEqual([
      "error src/routes/app.ts#POST /invoices PrismaClient.update(increment)",
      "error src/routes/app.ts#GET /search Promise.all",
      "error src/routes/app.ts#GET /search/available Promise.allSettled",
    ]);
    expect(await over([{ files: "src/routes/**", max: "leveraged" }, { files: "src/other/*.ts", max: "coordinated" }])).toHaveLength(7);
    expect(await over([{ framework: ["nestjs"], max: "uncoordinated" }])).toEqual([]);
    const message = (await analyze({ paths: [calm], configFile: false, config: { budgets: [{ handlers: "POST /invoices", max: "data-dependent" }] } })).findings.find((f) => f.rule === "budget/exceeded")!.message;
    expect(message).toBe(
      'POST /invoices is coordinated (O(N·W)), over its budget budgets[0] (handlers "POST /invoices"), which allows at most data-dependent: PrismaClient.update(increment) (lock) at src/services/order-service.ts:15 puts it there. Remove the coordination, or raise the budget for this handler with a reason.',
    );
  });

  it("rejects an inline configuration with an unknown key", async () => {
    await expect(analyze({ paths: [FIXTURE], config: { budget: [] } as never })).rejects.toThrow('Invalid config in the analyze() options: unknown key "budget"');
  });
});
