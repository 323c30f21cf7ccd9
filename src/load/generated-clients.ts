// Library clients generated into the project (a Prisma schema's `generator … { output }` folder): imports of them stand for the library.
import fs from "node:fs";
import path from "node:path";
import { ts } from "ts-morph";

export interface GeneratedClient {
  /** Absolute folder the generator writes. */
  folder: string;
  /** The library module an import of that folder stands for. */
  module: string;
}

/** Prisma's client generators (Prisma 7's `prisma-client` and the older `prisma-client-js`); others (docs, zod schemas) write no client. */
const PRISMA_CLIENT_GENERATORS = new Set(["prisma-client", "prisma-client-js"]);

/** Folders that hold dependencies or migrations, never schema files. */
const SKIPPED_DIRS = new Set(["node_modules", "migrations", ".git"]);

/** The generated clients declared by the Prisma schemas of these package folders. */
export function findGeneratedClients(dirs: Iterable<string>): GeneratedClient[] {
  const folders = new Set<string>();
  for (const dir of new Set(dirs)) {
    for (const schema of prismaSchemaFiles(dir)) for (const output of clientOutputs(schema)) folders.add(output);
  }
  return [...folders].sort().map((folder) => ({ folder, module: "@prisma/client" }));
}

/**
 * The library module an import specifier stands for when it names a generated client's folder (or a file in it), relative
 * to the importing file, through the tsconfig's `paths`, or below its `baseUrl`; undefined for every other import.
 */
export function generatedModule(clients: readonly GeneratedClient[], specifier: string, fromFile: string, options: ts.CompilerOptions | undefined): string | undefined {
  if (clients.length === 0) return undefined;
  for (const target of specifierTargets(specifier, fromFile, options)) {
    const client = clients.find((c) => target === c.folder || target.startsWith(c.folder + path.sep));
    if (client) return client.module;
  }
  return undefined;
}

function specifierTargets(specifier: string, fromFile: string, options: ts.CompilerOptions | undefined): string[] {
  if (/^\.\.?(\/|$)/.test(specifier)) return [path.resolve(path.dirname(fromFile), specifier)];
  const targets: string[] = [];
  // parseJsonConfigFileContent records the folder `paths` are relative to (the config that declared them).
  const pathsBase = typeof options?.["pathsBasePath"] === "string" ? options["pathsBasePath"] : options?.baseUrl;
  for (const [pattern, substitutions] of Object.entries(options?.paths ?? {})) {
    const star = pattern.indexOf("*");
    const prefix = star < 0 ? pattern : pattern.slice(0, star);
    const suffix = star < 0 ? "" : pattern.slice(star + 1);
    const fits = star < 0 ? specifier === pattern : specifier.length >= prefix.length + suffix.length && specifier.startsWith(prefix) && specifier.endsWith(suffix);
    if (!fits || pathsBase === undefined) continue;
    const captured = star < 0 ? "" : specifier.slice(prefix.length, specifier.length - suffix.length);
    for (const substitution of substitutions) targets.push(path.resolve(pathsBase, substitution.replace("*", captured)));
  }
  if (options?.baseUrl) targets.push(path.resolve(options.baseUrl, specifier));
  return targets;
}

/**
 * Where Prisma finds a package's schema: package.json `prisma.schema` or a plain `schema` path in prisma.config.ts,
 * else prisma/schema.prisma, schema.prisma, or the .prisma files under prisma/ (a multi-file schema).
 */
export function prismaSchemaFiles(dir: string): string[] {
  const configured = configuredSchema(dir);
  const candidates = configured ? [configured] : [path.join(dir, "prisma", "schema.prisma"), path.join(dir, "schema.prisma"), path.join(dir, "prisma")];
  for (const candidate of candidates) {
    const files = prismaFiles(candidate);
    if (files.length > 0) return files;
  }
  return [];
}

function configuredSchema(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { prisma?: { schema?: unknown } };
    if (typeof pkg.prisma?.schema === "string") return path.resolve(dir, pkg.prisma.schema);
  } catch {
    // No package.json, or not JSON: the defaults apply.
  }
  for (const name of ["prisma.config.ts", "prisma.config.mts", "prisma.config.cts", "prisma.config.js", "prisma.config.mjs"]) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    let schema: string | undefined;
    const visit = (node: ts.Node): void => {
      if (schema === undefined && ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "schema" && ts.isStringLiteralLike(node.initializer)) schema = node.initializer.text;
      ts.forEachChild(node, visit);
    };
    visit(source);
    return schema === undefined ? undefined : path.resolve(dir, schema);
  }
  return undefined;
}

/** A .prisma file, or the .prisma files below a folder. */
function prismaFiles(location: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    return [];
  }
  if (stat.isFile()) return location.endsWith(".prisma") ? [location] : [];
  if (!stat.isDirectory()) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(location, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) files.push(...prismaFiles(path.join(location, entry.name)));
    else if (entry.isFile() && entry.name.endsWith(".prisma")) files.push(path.join(location, entry.name));
  }
  return files;
}

/** The `output` folders of a schema file's client generators, relative to the schema file. */
function clientOutputs(schemaFile: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(schemaFile, "utf8");
  } catch {
    return [];
  }
  const code = text.replace(/\/\/.*$/gm, "");
  const outputs: string[] = [];
  for (const [, body] of code.matchAll(/\bgenerator\s+\w+\s*\{([^}]*)\}/g)) {
    const provider = /\bprovider\s*=\s*"([^"]*)"/.exec(body!)?.[1];
    const output = /\boutput\s*=\s*"([^"]*)"/.exec(body!)?.[1];
    if (provider !== undefined && output !== undefined && PRISMA_CLIENT_GENERATORS.has(provider)) outputs.push(path.resolve(path.dirname(schemaFile), output));
  }
  return outputs;
}
