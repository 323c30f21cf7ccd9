// Cloudflare Workers: the Worker's exported handler object (fetch, scheduled, queue…), Durable Object classes and WorkerEntrypoint RPC methods.
import path from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import { ts } from "ts-morph";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { className, propertyNameText } from "../scan/units.js";
import { exportedBindings, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { isAppAdapter, ProjectFiles, propertyEntries, TEST_FILE, tomlString, valueImports } from "./serverless.js";

const WORKERS_MODULE = "cloudflare:workers";
const WRANGLER_CONFIG = ["wrangler.toml", "wrangler.json", "wrangler.jsonc"];
/** The events a Worker's exported handler object (or a default WorkerEntrypoint) receives. */
const WORKER_EVENTS = new Set(["fetch", "scheduled", "queue", "email", "tail", "trace", "connect"]);
/** What the runtime calls on a Durable Object of any style. */
const OBJECT_EVENTS = new Set(["fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "connect"]);

export const cloudflare: HandlerFinder = {
  framework: "cloudflare",
  title: "Cloudflare Workers",
  // A Worker may import nothing (`export default { async fetch(request, env) { … } }`): the checks below decide.
  modules: [],
  describe:
    "The Worker's default export: an object (written in place or through a constant) whose `fetch`, `scheduled`, `queue`, `email`, `tail`, `trace` or `connect` members are named `cloudflare <member>`, located at the member's name. The object is the Worker's when it is the default export of wrangler's `main` (the nearest wrangler.toml / wrangler.json / wrangler.jsonc above the file); without a `main`, when it is typed `ExportedHandler` (`satisfies`, `as` or an annotation), or when no other project file imports it and the project is a Worker (a wrangler config, or a `cloudflare:` import). A member that is a web framework's app (`fetch: app.fetch` of a Hono app) is not reported: the app's routes are the handlers. Durable Objects: non-abstract classes extending `DurableObject` from `cloudflare:workers` (directly or through a project base class) give every public method (fetch, alarm, webSocketMessage, webSocketClose, webSocketError and RPC methods), classes whose constructor takes a `DurableObjectState` give their fetch, alarm and webSocket* methods; named `Class.method`. Classes extending `WorkerEntrypoint` give their public methods as `Class.method`, except that a default-exported one's event methods are `cloudflare <event>`.",
  find(context: FinderContext) {
    const { index, resolver, importedModules } = context;
    const files = new ProjectFiles(index);
    let imported: Map<string, Set<string>> | undefined;
    const importsWorkers = [...importedModules].some((m) => m.startsWith("cloudflare:"));
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      if (TEST_FILE.test(index.code.relative(fileName))) continue;
      const binding = exportedBindings(scan.sourceFile).find((b) => b.name === "default" && b.from === undefined);
      const worker = binding?.value && !ts.isFunctionDeclaration(binding.value) ? handlerObject(resolver, binding.value) : undefined;
      if (worker) {
        const wrangler = files.nearest(fileName, WRANGLER_CONFIG);
        const main = wrangler ? wranglerMain(files, wrangler) : undefined;
        const isEntry = main
          ? withoutExtension(main) === withoutExtension(path.resolve(fileName))
          : worker.typed || ((wrangler !== undefined || importsWorkers) && !(imported ??= valueImports(index, resolver)).get(fileName)?.has("default"));
        if (isEntry) out.push(...workerHandlers(resolver, worker.object));
      }
      for (const cls of scan.classes) out.push(...classHandlers(resolver, cls));
    }
    return out;
  },
};

/** The handler object a default export denotes, and whether it is declared `ExportedHandler`. */
function handlerObject(resolver: Resolver, value: ts.Expression): { object: ts.ObjectLiteralExpression; typed: boolean } | undefined {
  const types: ts.TypeNode[] = [];
  const unwrap = (expression: ts.Expression): ts.Expression => {
    let expr = expression;
    while (ts.isSatisfiesExpression(expr) || ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr)) {
      if (!ts.isParenthesizedExpression(expr)) types.push(expr.type);
      expr = expr.expression;
    }
    return expr;
  };
  let expr = unwrap(value);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
    if (!declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
    if (declaration.type) types.push(declaration.type);
    expr = unwrap(declaration.initializer!);
  }
  if (!ts.isObjectLiteralExpression(expr)) return undefined;
  if (!expr.properties.some((p) => p.name !== undefined && WORKER_EVENTS.has(propertyNameText(p.name)))) return undefined;
  return { object: expr, typed: types.some((t) => isWorkersType(resolver, t, "ExportedHandler")) };
}

function workerHandlers(resolver: Resolver, object: ts.ObjectLiteralExpression): HandlerCandidate[] {
  const out: HandlerCandidate[] = [];
  for (const property of object.properties) {
    if (!property.name || !WORKER_EVENTS.has(propertyNameText(property.name))) continue;
    if (ts.isPropertyAssignment(property) && isAppAdapter(resolver, property.initializer)) continue;
    out.push({ name: `cloudflare ${propertyNameText(property.name)}`, framework: "cloudflare", node: property.name, entries: propertyEntries(resolver, property) });
  }
  return out;
}

/** Durable Object and WorkerEntrypoint methods the runtime or RPC callers invoke. */
function classHandlers(resolver: Resolver, cls: ts.ClassDeclaration): HandlerCandidate[] {
  const base = (name: string): boolean =>
    (cls.heritageClauses ?? []).some((c) => c.token === ts.SyntaxKind.ExtendsKeyword && c.types.some((t) => originMatches(resolver.origins(t.expression), [WORKERS_MODULE], { exports: [name], forms: ["value"] })));
  const rpc = base("DurableObject");
  const entrypoint = !rpc && base("WorkerEntrypoint");
  const legacy = !rpc && !entrypoint && takesObjectState(resolver, cls);
  const modifiers = ts.getModifiers(cls) ?? [];
  // An abstract base is never bound; its methods run as its subclasses' methods.
  if ((!rpc && !entrypoint && !legacy) || modifiers.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword)) return [];
  const defaultEntrypoint = entrypoint && modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) && modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  const out: HandlerCandidate[] = [];
  for (const member of cls.members) {
    if (!ts.isMethodDeclaration(member) || !member.body || !ts.isIdentifier(member.name)) continue;
    const memberModifiers = ts.getModifiers(member) ?? [];
    if (memberModifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.StaticKeyword)) continue;
    const method = member.name.text;
    if (legacy && !OBJECT_EVENTS.has(method)) continue;
    const unit = resolver.index.unitOf(member);
    const name = defaultEntrypoint && WORKER_EVENTS.has(method) ? `cloudflare ${method}` : `${className(cls)}.${method}`;
    out.push({ name, framework: "cloudflare", node: member.name, entries: unit ? [{ units: [unit] }] : [] });
  }
  return out;
}

/** A class written in the original Durable Object style: `constructor(state: DurableObjectState, env)`. */
function takesObjectState(resolver: Resolver, cls: ts.ClassDeclaration): boolean {
  const ctor = cls.members.find(ts.isConstructorDeclaration);
  const type = ctor?.parameters[0]?.type;
  return type !== undefined && isWorkersType(resolver, type, "DurableObjectState");
}

/** A reference to one of the runtime's global types: declared in a declaration file (@cloudflare/workers-types, `wrangler types`' worker-configuration.d.ts), or, types not installed, nowhere. */
function isWorkersType(resolver: Resolver, type: ts.TypeNode, name: string): boolean {
  if (!ts.isTypeReferenceNode(type)) return false;
  const typeName = type.typeName;
  const written = ts.isIdentifier(typeName) ? typeName.text : typeName.right.text;
  if (written !== name) return false;
  const declarations = resolver.declarationsOf(ts.isIdentifier(typeName) ? typeName : typeName.right);
  return declarations.every((d) => d.getSourceFile().isDeclarationFile);
}

/** The Worker's entry module that wrangler's config names in `main`, as an absolute path. */
function wranglerMain(files: ProjectFiles, config: string): string | undefined {
  const text = files.text(config);
  if (!text) return undefined;
  const main = config.endsWith(".toml") ? tomlString(text, "", "main") : (parseJsonc(text) as { main?: unknown } | undefined)?.main;
  return typeof main === "string" ? path.resolve(path.dirname(config), main) : undefined;
}

function withoutExtension(file: string): string {
  return file.replace(/\.(?:[cm]?[jt]s|[jt]sx)$/, "");
}
