// Golden test: every fixture service analysed twice (with types, and with node_modules out of reach), compared exactly with its expected.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze, type CalmVerdict, type Diagnostic, type Finding, type Handler, type Hotspot, type Operation, type Site } from "../src/index.js";

type ExpectedHandler = Omit<Handler, "unresolved" | "unresolvedCalls" | "calm">;

/** CALM's verdicts (issue 4), stated by the fixtures written for them and compared exactly when present. */
interface ExpectedCalm {
  /** Every handler's verdict, by id. */
  handlers: Record<string, CalmVerdict>;
  operations: Operation[];
  findings: Finding[];
  hotspots: Hotspot[];
}

interface Expected {
  description: string;
  handlers: ExpectedHandler[];
  sites: Site[];
  diagnostics?: Diagnostic[];
  calm?: ExpectedCalm;
  /** What the run without node_modules must report where it differs from the typed run. */
  untyped?: { handlers?: ExpectedHandler[]; sites?: Site[]; calm?: ExpectedCalm };
}

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const fixtureNames = fs
  .readdirSync(FIXTURES)
  .filter((name) => fs.existsSync(path.join(FIXTURES, name, "expected.json")))
  .sort();

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-untyped-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function verdicts(report: Awaited<ReturnType<typeof analyze>>, withCalm: boolean) {
  return {
    handlers: report.handlers.map(({ unresolved: _unresolved, unresolvedCalls: _calls, calm: _calm, ...rest }) => rest),
    sites: report.sites,
    diagnostics: report.diagnostics,
    ...(withCalm
      ? { calm: { handlers: Object.fromEntries(report.handlers.map((h) => [h.id, h.calm])), operations: report.operations, findings: report.findings, hotspots: report.hotspots } }
      : {}),
  };
}

describe.each(fixtureNames)("fixture %s", (name) => {
  const dir = path.join(FIXTURES, name);
  const expected = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8")) as Expected;

  it("matches expected.json with types resolved", async () => {
    const report = await analyze({ paths: [dir] });
    expect(verdicts(report, expected.calm !== undefined)).toEqual({
      handlers: expected.handlers,
      sites: expected.sites,
      diagnostics: expected.diagnostics ?? [],
      ...(expected.calm ? { calm: expected.calm } : {}),
    });
  });

  it("matches expected.json with node_modules out of reach", async () => {
    // A copy outside the repository: module resolution finds no node_modules, as in most users' CI.
    const copy = path.join(scratch, name);
    fs.cpSync(dir, copy, { recursive: true });
    const report = await analyze({ paths: [copy] });
    const calm = expected.untyped?.calm ?? expected.calm;
    expect(verdicts(report, calm !== undefined)).toEqual({
      handlers: expected.untyped?.handlers ?? expected.handlers,
      sites: expected.untyped?.sites ?? expected.sites,
      diagnostics: expected.diagnostics ?? [],
      ...(calm ? { calm } : {}),
    });
  });
});

it("has at least one fixture", () => {
  expect(fixtureNames.length).toBeGreaterThan(0);
});
