// Loading one package of a workspace: the other packages it runs are followed, those it only names in types are not.
import path from "node:path";
import { expect, it } from "vitest";
import { analyze } from "../src/index.js";

const WORKSPACE = path.resolve(import.meta.dirname, "../fixtures/workspaces-signing");

it("follows one package's calls into the workspace packages it imports, with no node_modules links", async () => {
  const report = await analyze({ project: path.join(WORKSPACE, "packages/trpc/tsconfig.json") });
  expect(report.root).toBe(path.join(WORKSPACE, "packages/trpc"));
  expect(report.diagnostics).toEqual([]);
  expect(report.handlers.map((h) => [h.name, h.class])).toEqual([
    ["trpc team.create", "data-dependent"],
    ["trpc team.get", "uncoordinated"],
  ]);
  expect(report.handlers[0]!.evidence[0]!.path).toEqual([
    { function: "createTeamRoute", file: "server/team-router/create-team.ts", line: 9 },
    { function: "createTeam", file: "../lib/server-only/team/create-team.ts", line: 10 },
  ]);
  // The app's Hono routes and the sign-out transaction are reached only through `import type` of the app: not analysed.
  expect(report.sites.map((s) => s.file)).toEqual(["../lib/server-only/team/create-team.ts"]);
  expect(report.summary.files).toBe(13);
});
