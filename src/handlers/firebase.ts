// Cloud Functions for Firebase: exported trigger functions (v2 `onRequest`, `onDocumentCreated`…, v1 `functions.https.onRequest`…), named as the deploy sees them.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { exportedBindings, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { isAppAdapter, TEST_FILE } from "./serverless.js";

const MODULE = "firebase-functions";
/** Trigger builders: `onRequest`, `onDocumentCreated`, `onSchedule`, v1's `onCreate`/`onRun`/`onPublish`, identity's `beforeUserCreated`. */
const TRIGGER = /^(on|before)[A-Z]/;
/** `onInit(fn)` runs once when the instance starts: no trigger. */
const NOT_TRIGGERS = new Set(["onInit"]);

export const firebase: HandlerFinder = {
  framework: "firebase",
  title: "Cloud Functions for Firebase",
  modules: [MODULE],
  describe:
    "Named exports whose value is a trigger built by firebase-functions (any entry point: `firebase-functions`, `/v2/https`, `/https`, `/v1`, …): a call of an `on…` or `before…` function or method (`onRequest(opts?, fn)`, `onCall`, `onDocumentCreated(path, fn)`, `onSchedule(schedule, fn)`, `onMessagePublished(topic, fn)`, `beforeUserCreated`, v1 `functions.https.onRequest(fn)`, `functions.firestore.document(path).onCreate(fn)`, `functions.pubsub.schedule(s).onRun(fn)`), running its last argument. Named `firebase <name>` with the name the deploy sees: the export name in the module that re-exports it (`export { api } from \"./api\"`, `export { api as publicApi }`, `export *`), `<group>-<name>` through `export * as group from \"./group\"`, or its own export name when no module re-exports it; located at the export's name. `onRequest(app)` with a web framework's app is not reported: the app's routes are the handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const reexports = new Reexports(resolver);
    for (const scan of index.files) if (!TEST_FILE.test(index.code.relative(scan.sourceFile.fileName))) reexports.add(scan.sourceFile);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      if (TEST_FILE.test(index.code.relative(scan.sourceFile.fileName))) continue;
      for (const binding of exportedBindings(scan.sourceFile)) {
        if (binding.name === "default" || binding.from !== undefined || !binding.value || ts.isFunctionDeclaration(binding.value)) continue;
        const value = definedValue(resolver, binding.nameNode, binding.value);
        const fn = value && triggerFunction(resolver, value);
        if (!fn || isAppAdapter(resolver, fn)) continue;
        const entries = wrappedEntries(resolver, fn).filter((e) => e.units.length > 0);
        for (const name of reexports.deployedNames(scan.sourceFile.fileName, binding.name)) {
          out.push({ name: `firebase ${name}`, framework: "firebase", node: binding.nameNode, entries });
        }
      }
    }
    return out;
  },
};

/**
 * The value an export defines in its own module: `export const api = …`, or the initializer of a local constant
 * exported by name (`const api = …; export { api }`); an imported name exported again is a re-export, not a definition.
 */
function definedValue(resolver: Resolver, nameNode: ts.Node, value: ts.Expression): ts.Expression | undefined {
  if (ts.isVariableDeclaration(nameNode.parent)) return value;
  if (!ts.isExportSpecifier(nameNode.parent) || !ts.isIdentifier(value)) return undefined;
  const declaration = resolver.declarationsOf(value).find(ts.isVariableDeclaration);
  return declaration?.initializer && declaration.getSourceFile() === nameNode.getSourceFile() ? declaration.initializer : undefined;
}

/** The function a trigger builder call runs (its last argument), when the value is such a call. */
function triggerFunction(resolver: Resolver, value: ts.Expression): ts.Expression | undefined {
  const expr = skipOuterExpressions(value);
  if (!ts.isCallExpression(expr) || expr.arguments.length === 0) return undefined;
  const callee = skipOuterExpressions(expr.expression);
  const origins = resolver.origins(callee).filter((o) => o.module === MODULE || o.module.startsWith(MODULE + "/"));
  if (origins.length === 0) return undefined;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : origins.map((o) => o.path.split(".").pop()!).find((n) => TRIGGER.test(n));
  return name && TRIGGER.test(name) && !NOT_TRIGGERS.has(name) ? expr.arguments[expr.arguments.length - 1] : undefined;
}

/** Which modules re-export which names of which other modules: `export { a as b } from`, `export { imported }`, `export *`, `export * as group`. */
class Reexports {
  /** Keyed by `<file>|<name>` (`*` for every name) of the module re-exported from. */
  private readonly edges = new Map<string, { file: string; rename: (name: string) => string }[]>();

  constructor(private readonly resolver: Resolver) {}

  add(sourceFile: ts.SourceFile): void {
    for (const statement of sourceFile.statements) {
      if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
      const from = statement.moduleSpecifier && this.fileOf(statement.moduleSpecifier);
      const clause = statement.exportClause;
      if (!clause || ts.isNamespaceExport(clause)) {
        if (!from) continue;
        const group = clause ? clause.name.text : undefined;
        this.edge(from, "*", sourceFile.fileName, group === undefined ? (name) => name : (name) => `${group}-${name}`);
        continue;
      }
      for (const specifier of clause.elements) {
        if (specifier.isTypeOnly) continue;
        const exported = specifier.name.text;
        const local = (specifier.propertyName ?? specifier.name).text;
        if (from) {
          this.edge(from, local, sourceFile.fileName, () => exported);
          continue;
        }
        // `import { api } from "./api"; export { api }`: the import says which module and name.
        const declaration = this.resolver.symbolAt(specifier.propertyName ?? specifier.name)?.declarations?.[0];
        const imported = declaration && ts.isImportSpecifier(declaration) ? declaration : undefined;
        const module = imported && this.fileOf(imported.parent.parent.parent.moduleSpecifier);
        if (imported && module) this.edge(module, (imported.propertyName ?? imported.name).text, sourceFile.fileName, () => exported);
      }
    }
  }

  /** The names a module's export is deployed under: the names of the modules at the top of its re-export chains. */
  deployedNames(file: string, name: string, seen = new Set<string>()): string[] {
    const key = `${file}|${name}`;
    if (seen.has(key)) return [];
    seen.add(key);
    const parents = [...(this.edges.get(key) ?? []), ...(this.edges.get(`${file}|*`) ?? [])];
    if (parents.length === 0) return [name];
    return [...new Set(parents.flatMap((p) => this.deployedNames(p.file, p.rename(name), seen)))].sort();
  }

  private edge(from: string, name: string, file: string, rename: (name: string) => string): void {
    const key = `${from}|${name}`;
    this.edges.set(key, [...(this.edges.get(key) ?? []), { file, rename }]);
  }

  private fileOf(specifier: ts.Expression): string | undefined {
    return this.resolver.symbolAt(specifier)?.declarations?.find(ts.isSourceFile)?.fileName;
  }
}
