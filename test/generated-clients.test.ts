// Prisma clients generated into the project: where their schemas are found, and which imports stand for @prisma/client.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findGeneratedClients, generatedModule } from "../src/load/generated-clients.js";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "coordlint-generated-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const client = (output: string, provider = "prisma-client"): string => `generator client {\n  provider = "${provider}"\n  output   = "${output}"\n}\n`;

describe("findGeneratedClients", () => {
  it("reads prisma/schema.prisma by default, relative to the schema file", () => {
    const dir = project("default", { "prisma/schema.prisma": client("../src/generated/prisma") });
    expect(findGeneratedClients([dir])).toEqual([{ folder: path.join(dir, "src/generated/prisma"), module: "@prisma/client" }]);
  });

  it("follows package.json's prisma.schema and prisma.config.ts's schema path", () => {
    const pkg = project("pkg", { "package.json": JSON.stringify({ prisma: { schema: "db/main.prisma" } }), "db/main.prisma": client("./client", "prisma-client-js") });
    const config = project("config", { "prisma.config.ts": `export default defineConfig({ schema: "database/schema" });`, "database/schema/gen.prisma": client("../../generated") });
    expect(findGeneratedClients([pkg, config]).map((c) => c.folder)).toEqual([path.join(config, "generated"), path.join(pkg, "db/client")].sort());
  });

  it("reads every .prisma file of a multi-file schema under prisma/, and ignores generators that write no client", () => {
    const dir = project("multi", {
      "prisma/schema/base.prisma": `${client("../../lib/db")}generator zod {\n  provider = "zod-prisma-types"\n  output   = "../../lib/zod"\n}\n`,
      "prisma/schema/models.prisma": "model User {\n  id String @id\n}\n",
    });
    expect(findGeneratedClients([dir]).map((c) => c.folder)).toEqual([path.join(dir, "lib/db")]);
  });

  it("finds nothing without a schema, or with a commented-out output", () => {
    const dir = project("commented", { "prisma/schema.prisma": `generator client {\n  provider = "prisma-client-js"\n  // output = "../generated"\n}\n` });
    expect(findGeneratedClients([dir, path.join(scratch, "missing")])).toEqual([]);
  });
});

describe("generatedModule", () => {
  const root = path.join(scratch, "app");
  const clients = [{ folder: path.join(root, "src/generated/prisma"), module: "@prisma/client" }];
  const from = path.join(root, "src/lib/prisma.ts");

  it("names @prisma/client for relative imports of the folder or a file in it", () => {
    expect(generatedModule(clients, "../generated/prisma", from, {})).toBe("@prisma/client");
    expect(generatedModule(clients, "../generated/prisma/client.js", from, {})).toBe("@prisma/client");
    expect(generatedModule(clients, "../generated/prismatic", from, {})).toBeUndefined();
  });

  it("maps tsconfig paths (from the folder that declared them) and baseUrl", () => {
    expect(generatedModule(clients, "@/generated/prisma/client", from, { paths: { "@/*": ["./src/*"] }, pathsBasePath: root })).toBe("@prisma/client");
    expect(generatedModule(clients, "~db", from, { paths: { "~db": ["src/generated/prisma"] }, baseUrl: root })).toBe("@prisma/client");
    expect(generatedModule(clients, "generated/prisma", from, { baseUrl: path.join(root, "src") })).toBe("@prisma/client");
    expect(generatedModule(clients, "@prisma/client", from, { paths: { "@/*": ["./src/*"] }, pathsBasePath: root })).toBeUndefined();
  });
});
