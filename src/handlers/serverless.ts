// What the serverless platform finders share: entry files nobody imports, web-framework apps handed to a platform, and deploy config files.
import fs from "node:fs";
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";
import { entryOf, wrappedEntries, type HandlerEntry } from "./finder.js";

export const TEST_FILE = /(^|\/)(__tests__|__mocks__|tests?)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

/** For each project file, the exports other (non-test) project files import as values; `*` for a namespace import. */
export function valueImports(index: CodeIndex, resolver: Resolver): Map<string, Set<string>> {
  const imported = new Map<string, Set<string>>();
  for (const scan of index.files) {
    if (TEST_FILE.test(index.code.relative(scan.sourceFile.fileName))) continue;
    for (const statement of scan.sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !statement.importClause || statement.importClause.isTypeOnly) continue;
      const target = resolver.symbolAt(statement.moduleSpecifier)?.declarations?.find(ts.isSourceFile);
      if (!target) continue;
      const names = imported.get(target.fileName) ?? new Set<string>();
      const clause = statement.importClause;
      if (clause.name) names.add("default");
      if (clause.namedBindings && ts.isNamespaceImport(clause.namedBindings)) names.add("*");
      if (clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
        for (const specifier of clause.namedBindings.elements) if (!specifier.isTypeOnly) names.add((specifier.propertyName ?? specifier.name).text);
      }
      imported.set(target.fileName, names);
    }
  }
  return imported;
}

/**
 * A web framework's app handed to a platform (`serverless(app)`, `handle(app)`, `functions.http("api", app)`,
 * `fetch: app.fetch`, `export default app`): a value a library made (an app instance or a member of one) that is no
 * project function, or a library call whose first argument is one. The app's routes are the handlers.
 */
export function isAppAdapter(resolver: Resolver, expression: ts.Expression, depth = 0): boolean {
  const expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) return isAppValue(resolver, expr);
  if (!ts.isCallExpression(expr) || depth > 3 || !expr.arguments[0]) return false;
  // A project factory (`handler(async (event) => …)`) is the project's own wrapper, whatever type it returns.
  const libraryCall = resolver.functionTargets(expr.expression).length === 0 && resolver.origins(expr.expression).length > 0;
  return libraryCall && (isAppValue(resolver, skipOuterExpressions(expr.arguments[0])) || isAppAdapter(resolver, expr.arguments[0], depth + 1));
}

function isAppValue(resolver: Resolver, expr: ts.Expression): boolean {
  if (isFunctionNode(expr) || ts.isObjectLiteralExpression(expr) || resolver.functionTargets(expr).length > 0) return false;
  return resolver.origins(expr).some((o) => o.form !== "value");
}


/** An object literal's member of that name. */
export function memberNamed(object: ts.ObjectLiteralExpression, key: string): ts.ObjectLiteralElementLike | undefined {
  return object.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === key);
}

/** What an object member runs: a method, a function-valued (possibly wrapped) property, or a shorthand reference to a function. */
export function propertyEntries(resolver: Resolver, property: ts.ObjectLiteralElementLike | undefined): HandlerEntry[] {
  if (!property) return [];
  if (ts.isMethodDeclaration(property)) {
    const unit = resolver.index.unitOf(property);
    return unit ? [{ units: [unit] }] : [];
  }
  if (ts.isPropertyAssignment(property)) return wrappedEntries(resolver, property.initializer).filter((e) => e.units.length > 0);
  if (ts.isShorthandPropertyAssignment(property)) {
    const entry = entryOf(resolver, property.name);
    return entry.units.length > 0 ? [entry] : [];
  }
  return [];
}

/** The folder a file's tsconfig sits in, or the analysis root: where a platform's project files are looked for. */
export function projectRoot(index: CodeIndex, fileName: string): string {
  const tsconfig = index.programOf(fileName)?.tsconfig;
  return tsconfig ? path.dirname(tsconfig) : index.code.root;
}

/** The project's files a platform reads (its config files, folder markers), looked up once per finder run. */
export class ProjectFiles {
  private readonly exists = new Map<string, boolean>();
  private readonly texts = new Map<string, string | undefined>();

  constructor(private readonly index: CodeIndex) {}

  /** The nearest of the named files in the file's folder or a folder above it, up to the analysis or project root, whichever is higher. */
  nearest(fileName: string, names: readonly string[]): string | undefined {
    const roots = [this.index.code.root, projectRoot(this.index, fileName)].map((p) => path.resolve(p));
    const top = roots.reduce((a, b) => (b.length < a.length ? b : a));
    for (let dir = path.dirname(path.resolve(fileName)); dir === top || dir.startsWith(top + path.sep); dir = path.dirname(dir)) {
      for (const name of names) {
        const candidate = path.join(dir, name);
        if (this.has(candidate)) return candidate;
      }
      if (dir === top) break;
    }
    return undefined;
  }

  has(file: string): boolean {
    let found = this.exists.get(file);
    if (found === undefined) {
      found = fs.existsSync(file);
      this.exists.set(file, found);
    }
    return found;
  }

  text(file: string): string | undefined {
    if (!this.texts.has(file)) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        text = undefined;
      }
      this.texts.set(file, text);
    }
    return this.texts.get(file);
  }
}

/** A string value from a TOML table (`[functions]` `directory = "x"`; the top-level table is ""), for the flat keys platform configs use. */
export function tomlString(text: string, table: string, key: string): string | undefined {
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      continue;
    }
    const pair = /^([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (pair && current === table && pair[1] === key) return pair[2] ?? pair[3];
  }
  return undefined;
}
