// File-system routing shared by the frameworks whose routes are files: route folders, `[param]` segments, route-module exports, and the plain-data config files that move the folders.
import fs from "node:fs";
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import { importBinding } from "../scan/resolve.js";

/** The HTTP methods route files export by name (Next.js, SvelteKit `+server.ts`, `api/**\/route.ts`). */
export const EXPORTED_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
/** `route.ts`, `route.js`, `route.tsx`…: the Next.js-style route file. */
export const ROUTE_FILE = /^route\.[cm]?[jt]sx?$/;
export const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/**
 * Folders between the project's `dir` folder (`app`, `pages/api`, either under `src/`) and the file, or undefined
 * when the file is not below one. The project root is the file's tsconfig folder; without one, or when that
 * tsconfig sits above the project (a monorepo), the first such folder in the path counts, `src/…` first.
 */
export function foldersBelow(index: CodeIndex, fileName: string, dir: string[]): string[] | undefined {
  const parts = fileName.split("/");
  const matchesAt = (at: number): boolean => at + dir.length < parts.length && dir.every((d, i) => parts[at + i] === d);
  const below = (at: number): string[] => parts.slice(at + dir.length, -1);
  const tsconfig = index.programOf(fileName)?.tsconfig;
  if (tsconfig) {
    const base = path.posix.dirname(tsconfig).split("/").length;
    if (matchesAt(base)) return below(base);
    if (parts[base] === "src" && matchesAt(base + 1)) return below(base + 1);
  }
  const first = parts.length - index.code.relative(fileName).split("/").length;
  const candidates = parts.map((_, at) => at).filter((at) => at >= first && matchesAt(at));
  const chosen = candidates.find((at) => parts[at - 1] === "src") ?? candidates[0];
  return chosen === undefined ? undefined : below(chosen);
}

/** The first folder of the analysed path that ends with the folders `dir` (`src/routes`, `server/api`), as an absolute path. */
export function firstFolder(index: CodeIndex, fileName: string, dir: string[]): string | undefined {
  const parts = fileName.split("/");
  const first = parts.length - index.code.relative(fileName).split("/").length;
  for (let at = first; at + dir.length < parts.length; at++) {
    if (dir.every((d, i) => parts[at + i] === d)) return parts.slice(0, at + dir.length).join("/");
  }
  return undefined;
}

/** The folders from `root` down to the file, or undefined when the file is not below `root`. */
export function foldersFrom(root: string, fileName: string): string[] | undefined {
  const relative = path.posix.relative(root, fileName);
  if (relative === "" || relative.startsWith("../") || path.posix.isAbsolute(relative)) return undefined;
  return relative.split("/").slice(0, -1);
}

/**
 * One path segment written with brackets, as Next.js, SvelteKit and Nitro name folders and files: `[id]` and
 * `[id=integer]` → `:id`, `[[lang]]` → `:lang?`, `[...slug]`, `[[...slug]]` and `[...]` → `*`, brackets inside a
 * segment (`v[version]`) replaced in place; undefined for a route group `(group)`, which is not part of the path.
 */
export function bracketSegment(segment: string): string | undefined {
  if (/^\(.*\)$/.test(segment)) return undefined;
  return segment
    .replace(/\[\[?\.\.\.[^\]]*\]\]?/g, "*")
    .replace(/\[\[([^\]=]+)(=[^\]]*)?\]\]/g, ":$1?")
    .replace(/\[([^\]=]+)(=[^\]]*)?\]/g, ":$1");
}


/**
 * Framework config files (`svelte.config.js`, `nuxt.config.ts`, `react-router.config.ts`…) beside or above the
 * analysed files. They are read as plain data: parsed, never executed, and only literal values count. A lookup
 * stops at the first folder holding a `package.json`, where a framework's config lives.
 */
export class ConfigFiles {
  private readonly nearestCache = new Map<string, string | null>();
  private readonly parsed = new Map<string, ts.SourceFile | null>();

  constructor(private readonly index: CodeIndex) {}

  /** The nearest file named one of `names` in `dir` or a folder above it. */
  nearest(dir: string, names: readonly string[]): string | undefined {
    const key = `${names.join(",")}\0${dir}`;
    const cached = this.nearestCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let found: string | undefined = names.map((n) => `${dir}/${n}`).find((f) => fs.existsSync(f));
    const parent = path.posix.dirname(dir);
    if (found === undefined && parent !== dir && !fs.existsSync(`${dir}/package.json`)) found = this.nearest(parent, names);
    this.nearestCache.set(key, found ?? null);
    return found;
  }

  /** The first of `names` that exists in `dir`. */
  inFolder(dir: string, names: readonly string[]): string | undefined {
    return names.map((n) => `${dir}/${n}`).find((f) => this.index.isAnalysed(f) || fs.existsSync(f));
  }

  /** The file's syntax tree: the analysed copy when there is one, else parsed from disk. */
  sourceOf(fileName: string): ts.SourceFile | undefined {
    const analysed = this.index.scanOf(fileName)?.sourceFile;
    if (analysed) return analysed;
    const cached = this.parsed.get(fileName);
    if (cached !== undefined) return cached ?? undefined;
    let sourceFile: ts.SourceFile | undefined;
    try {
      sourceFile = ts.createSourceFile(fileName, fs.readFileSync(fileName, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    } catch {
      sourceFile = undefined;
    }
    this.parsed.set(fileName, sourceFile ?? null);
    return sourceFile;
  }
}

/** `config.ts`, `config.mjs`… for each extension a framework accepts. */
export function withExtensions(stem: string, extensions: readonly string[]): string[] {
  return extensions.map((e) => `${stem}.${e}`);
}

/** The module and export name each imported local name of a file is bound to, read from its import declarations. */
export function importsOf(sourceFile: ts.SourceFile): Map<string, { module: string; path: string }> {
  const imports = new Map<string, { module: string; path: string }>();
  for (const statement of sourceFile.statements) {
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    if (!clause) continue;
    const declarations: ts.Node[] = [clause, ...(clause.namedBindings ? (ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : [clause.namedBindings]) : [])];
    for (const declaration of declarations) {
      const name = (declaration as ts.ImportClause | ts.ImportSpecifier | ts.NamespaceImport).name;
      const binding = importBinding(declaration);
      if (name && binding) imports.set(name.text, binding);
    }
  }
  return imports;
}

/**
 * The object a config file exports: `export default {…}`, `module.exports = {…}`, through `satisfies`/`as`,
 * a `defineConfig({…})`-style call and a `const config = {…}` declared in the file.
 */
export function exportedConfig(sourceFile: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  for (const statement of sourceFile.statements) {
    let value: ts.Expression | undefined;
    if (ts.isExportAssignment(statement)) value = statement.expression;
    else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression) && statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const target = statement.expression.left;
      if (ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression) && target.expression.text === "module" && target.name.text === "exports") value = statement.expression.right;
    }
    if (value) return configObject(sourceFile, value);
  }
  return undefined;
}

function configObject(sourceFile: ts.SourceFile, expression: ts.Expression): ts.ObjectLiteralExpression | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (ts.isCallExpression(expr) && expr.arguments.length === 1) return configObject(sourceFile, expr.arguments[0]!);
  if (ts.isIdentifier(expr)) {
    const initializer = localInitializer(sourceFile, expr.text);
    return initializer ? configObject(sourceFile, initializer) : undefined;
  }
  return undefined;
}

/** The initializer of a module-level `const name = …` in the file. */
export function localInitializer(sourceFile: ts.SourceFile, name: string): ts.Expression | undefined {
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.name.text === name) return declaration.initializer;
    }
  }
  return undefined;
}

/** A property's value in an object literal, following nested names (`kit`, `files`, `routes`). */
export function propertyValue(object: ts.ObjectLiteralExpression | undefined, ...names: string[]): ts.Expression | undefined {
  let current: ts.Expression | undefined = object;
  for (const name of names) {
    const expr: ts.Expression | undefined = current && skipOuterExpressions(current);
    if (!expr || !ts.isObjectLiteralExpression(expr)) return undefined;
    const property = expr.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name);
    current = property?.initializer;
  }
  return current;
}

/** A string-literal property value (`appDirectory: "app"`), or undefined when absent or computed. */
export function stringProperty(object: ts.ObjectLiteralExpression | undefined, ...names: string[]): string | undefined {
  const value = propertyValue(object, ...names);
  const expr = value && skipOuterExpressions(value);
  return expr && ts.isStringLiteralLike(expr) ? expr.text : undefined;
}
