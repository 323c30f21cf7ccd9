// AdonisJS (v6/v7): routes, groups and resources on the router service, resolved to controller methods through lazy imports and package.json `imports` aliases.
import fs from "node:fs";
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText, type FunctionUnit } from "../scan/units.js";
import { entryOf, joinRoute, literalText, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const ROUTER = "@adonisjs/core/services/router";
const SERVER = "@adonisjs/core/services/server";
const MODULES = ["@adonisjs/core", "@adonisjs/http-server"];
const TYPE_MODULES = ["@adonisjs/core/types", "@adonisjs/core/http", "@adonisjs/http-server"];

const VERBS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE", any: "ANY" };
const REGISTRATIONS = new Set([...Object.keys(VERBS), "route", "resource", "shallowResource", "on"]);

/** The seven actions of `router.resource(name, Controller)`: verbs and the path after the resource's base. */
const RESOURCE_ACTIONS = [
  { action: "index", methods: ["GET"], suffix: "", member: false },
  { action: "create", methods: ["GET"], suffix: "/create", member: false },
  { action: "store", methods: ["POST"], suffix: "", member: false },
  { action: "show", methods: ["GET"], suffix: "/:id", member: true },
  { action: "edit", methods: ["GET"], suffix: "/:id/edit", member: true },
  { action: "update", methods: ["PUT", "PATCH"], suffix: "/:id", member: true },
  { action: "destroy", methods: ["DELETE"], suffix: "/:id", member: true },
] as const;

/** A method called on the result of a registration (`.prefix('/api')`, `.use(middleware.auth())`, `.only([...])`). */
interface Modifier {
  name: string;
  args: readonly ts.Expression[];
}

export const adonisjs: HandlerFinder = {
  framework: "adonisjs",
  title: "AdonisJS",
  modules: MODULES,
  describe:
    "Routes on the router service (`@adonisjs/core/services/router`): `router.get|post|put|patch|delete|any(path, handler)`, `router.route(path, methods, handler)`, `router.on(path)` and " +
    "`router.resource(name, Controller)` / `shallowResource` (index, create, store, show, edit, update, destroy with Adonis's verbs and paths, nested `a.b` resources as `/a/:a_id/b`, filtered by `.only`, `.except`, `.apiOnly`). " +
    "A handler is an inline function, `[Controller, 'method']` or `[Controller]` (`handle`), the controller a class or a lazy `() => import('#controllers/x')` whose default export is the class, " +
    "or a `'#controllers/x.method'` string; `#` aliases resolve through the nearest package.json `imports` when TypeScript does not resolve them. " +
    "Prefixes and middleware of enclosing `router.group(() => …)` calls apply, outermost first. Middleware before the handler: `server.use` and `router.use` lazy imports (their `handle`), then group and route `.use(…)` " +
    "(functions, and named middleware `middleware.auth()` from `router.named({ … })` resolved to its class's `handle`). Named `METHOD /full/path` (`ANY` for `any`, one handler per verb), located at the registration call.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const modules = new ModuleFiles(resolver);
    const isRouter = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(e), [ROUTER], { exports: ["default"], forms: ["value"] }) ||
      originMatches(resolver.origins(e), TYPE_MODULES, { exports: ["Router", "HttpRouterService"], types: ["Router", "HttpRouterService"], forms: ["instance"] });
    const isServer = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(e), [SERVER], { exports: ["default"], forms: ["value"] }) ||
      originMatches(resolver.origins(e), TYPE_MODULES, { exports: ["Server"], types: ["Server"], forms: ["instance"] });

    // Middleware every route runs: the server's, then the router's (`server.use([...])`, `router.use([...])`, lazy imports of classes).
    const serverMiddleware: HandlerEntry[] = [];
    const routerMiddleware: HandlerEntry[] = [];
    const registrations: { call: ts.CallExpression; method: string }[] = [];
    for (const { call, callee, method } of methodCalls(index, new Set([...REGISTRATIONS, "use"]))) {
      if (method === "use") {
        const list = call.arguments[0] && skipOuterExpressions(call.arguments[0]);
        if (!list || !ts.isArrayLiteralExpression(list)) continue;
        const target = isServer(callee.expression) ? serverMiddleware : isRouter(callee.expression) ? routerMiddleware : undefined;
        for (const element of list.elements) target?.push({ expression: element, units: classMethods(resolver, modules.classesOf(element), "handle") });
      } else if (isRouter(callee.expression)) {
        registrations.push({ call, method });
      }
    }
    const global = [...serverMiddleware, ...routerMiddleware].filter((e) => e.units.length > 0);

    const out: HandlerCandidate[] = [];
    for (const { call, method } of registrations) {
      const groups = enclosingGroups(call, isRouter);
      const modifiers = modifiersOf(call);
      const prefixes = [...groups.flatMap((g) => modifiersOf(g).filter((m) => m.name === "prefix").map((m) => routePath(resolver, m.args[0]))), ...modifiers.filter((m) => m.name === "prefix").reverse().map((m) => routePath(resolver, m.args[0]))];
      const groupMiddleware = groups.flatMap((g) => modifiersOf(g).flatMap((m) => (m.name === "use" || m.name === "middleware" ? middlewareEntries(resolver, modules, isRouter, m.args[0]) : [])));
      const before = [...global, ...groupMiddleware];
      const push = (verbs: readonly string[], pattern: string, entries: HandlerEntry[]): void => {
        for (const verb of verbs) out.push({ name: `${verb} ${joinRoute(...prefixes, pattern)}`, framework: "adonisjs", node: call, entries });
      };

      if (method === "resource" || method === "shallowResource") {
        const name = routePath(resolver, call.arguments[0]);
        const classes = modules.classesOf(call.arguments[1]);
        for (const action of resourceActions(name, method === "shallowResource", modifiers)) {
          const units = classMethods(resolver, classes, action.action);
          if (classes.length > 0 && units.length === 0) continue;
          const own = modifiers
            .filter((m) => (m.name === "use" || m.name === "middleware") && appliesTo(m.args[0], action.action))
            .flatMap((m) => middlewareEntries(resolver, modules, isRouter, m.args[1]));
          push(action.methods, action.path, [...before, ...own, { expression: call.arguments[1], units }].filter((e) => e.units.length > 0));
        }
        continue;
      }
      const own = modifiers.flatMap((m) => (m.name === "use" || m.name === "middleware" ? middlewareEntries(resolver, modules, isRouter, m.args[0]) : []));
      const pattern = routePath(resolver, call.arguments[0]);
      if (method === "on") {
        // A brisk route (`router.on('/').render('home')`) runs project code only through `setHandler(fn)`.
        const handler = modifiers.find((m) => m.name === "setHandler")?.args[0];
        push(["GET"], pattern, [...before, ...own, ...(handler ? [handlerEntry(resolver, modules, handler)] : [])].filter((e) => e.units.length > 0));
        continue;
      }
      const verbs = method === "route" ? routeVerbs(call.arguments[1]) : [VERBS[method]!];
      const handler = method === "route" ? call.arguments[2] : call.arguments[1];
      push(verbs, pattern, [...before, ...own, ...(handler ? [handlerEntry(resolver, modules, handler)] : [])].filter((e) => e.units.length > 0));
    }
    return out;
  },
};

/** `router.group(() => { … })` calls whose callbacks contain a node, outermost first. */
function enclosingGroups(node: ts.Node, isRouter: (e: ts.Expression) => boolean): ts.CallExpression[] {
  const groups: ts.CallExpression[] = [];
  for (let current = node.parent; current; current = current.parent) {
    const call = current.parent;
    if (!isFunctionNode(current) || !call || !ts.isCallExpression(call) || call.arguments[0] !== current) continue;
    const callee = skipOuterExpressions(call.expression);
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "group" && isRouter(callee.expression)) groups.unshift(call);
  }
  return groups;
}

/** Methods chained on a registration's result, in call order (`router.get(…).use(a).as('x')`). */
function modifiersOf(call: ts.CallExpression): Modifier[] {
  const out: Modifier[] = [];
  let current: ts.Node = call;
  while (ts.isPropertyAccessExpression(current.parent) && current.parent.expression === current && ts.isCallExpression(current.parent.parent) && current.parent.parent.expression === current.parent) {
    out.push({ name: current.parent.name.text, args: current.parent.parent.arguments });
    current = current.parent.parent;
  }
  return out;
}

/** `router.route(path, ['GET', 'POST'], …)`: the verbs named, HEAD left out where GET serves it. */
function routeVerbs(expression: ts.Expression | undefined): string[] {
  const list = expression && skipOuterExpressions(expression);
  if (!list || !ts.isArrayLiteralExpression(list)) return ["*"];
  const verbs = list.elements.map((e) => literalText(e)?.toUpperCase() ?? "*");
  return verbs.filter((v) => v !== "HEAD" || !verbs.includes("GET"));
}

/** The routes a resource registers after `.only`, `.except`, `.apiOnly` and `.params`: nested `posts.comments` is `/posts/:post_id/comments`. */
function resourceActions(resource: string, shallow: boolean, modifiers: Modifier[]): { action: string; methods: readonly string[]; path: string }[] {
  const segments = resource.replace(/^\/+|\/+$/g, "").split(".");
  const main = segments.pop()!;
  const params = new Map<string, string>([[main, "id"], ...segments.map((s): [string, string] => [s, `${snakeCase(singular(s))}_id`])]);
  for (const m of modifiers.filter((m) => m.name === "params")) {
    const object = m.args[0] && skipOuterExpressions(m.args[0]);
    if (!object || !ts.isObjectLiteralExpression(object)) continue;
    for (const property of object.properties) {
      const value = ts.isPropertyAssignment(property) ? literalText(property.initializer) : undefined;
      if (value !== undefined && property.name) params.set(propertyNameText(property.name), value);
    }
  }
  const base = [...segments.map((s) => `${s}/:${params.get(s)}`), main].join("/");
  let actions: string[] = RESOURCE_ACTIONS.map((a) => a.action);
  for (const m of modifiers) {
    const names = m.name === "apiOnly" ? ["create", "edit"] : stringList(m.args[0]);
    if (m.name === "only") actions = actions.filter((a) => names.includes(a));
    else if (m.name === "except" || m.name === "apiOnly") actions = actions.filter((a) => !names.includes(a));
  }
  return RESOURCE_ACTIONS.filter((a) => actions.includes(a.action)).map((a) => ({
    action: a.action,
    methods: a.methods,
    path: `${a.member && shallow ? main : base}${a.suffix.replace(":id", `:${params.get(main)}`)}`,
  }));
}

/** Whether a resource's `.use(actions, …)` names an action: `'*'`, `'store'`, `['store', 'update']`. */
function appliesTo(expression: ts.Expression | undefined, action: string): boolean {
  const names = stringList(expression);
  return names.includes("*") || names.includes(action);
}

function stringList(expression: ts.Expression | undefined): string[] {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr) return [];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => stringList(e));
  const text = literalText(expr);
  return text === undefined ? [] : [text];
}

/** What a route handler runs: `[Controller, 'method']`, `[Controller]` (`handle`), `'#controllers/x.method'`, or a function. */
function handlerEntry(resolver: Resolver, modules: ModuleFiles, expression: ts.Expression): HandlerEntry {
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr) && expr.elements[0]) {
    const method = literalText(expr.elements[1]) ?? "handle";
    return { expression, units: classMethods(resolver, modules.classesOf(expr.elements[0]), method) };
  }
  const text = literalText(expr);
  if (text !== undefined) {
    // `'#controllers/users_controller.index'`: the module, then the method after the last dot (`handle` when none).
    const dot = text.lastIndexOf(".");
    const [specifier, method] = dot > text.lastIndexOf("/") ? [text.slice(0, dot), text.slice(dot + 1)] : [text, "handle"];
    const file = modules.resolve(specifier, expr.getSourceFile().fileName);
    return { expression, units: classMethods(resolver, file ? modules.exportedClasses(file, "default") : [], method) };
  }
  return entryOf(resolver, expression);
}

/** Route and group middleware: functions, and named middleware (`middleware.auth()`) resolved to the `handle` of the class `router.named` maps it to. */
function middlewareEntries(resolver: Resolver, modules: ModuleFiles, isRouter: (e: ts.Expression) => boolean, expression: ts.Expression | undefined): HandlerEntry[] {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr) return [];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => middlewareEntries(resolver, modules, isRouter, e));
  if (ts.isCallExpression(expr)) {
    const named = namedMiddleware(modules, isRouter, expr.expression);
    if (named) {
      const units = classMethods(resolver, modules.classesOf(named), "handle");
      return units.length > 0 ? [{ expression, units }] : [];
    }
  }
  const entry = entryOf(resolver, expression!);
  return entry.units.length > 0 ? [entry] : [];
}

/** `middleware.auth` where `export const middleware = router.named({ auth: () => import('#middleware/auth_middleware') })`: the lazy import. */
function namedMiddleware(modules: ModuleFiles, isRouter: (e: ts.Expression) => boolean, callee: ts.Expression): ts.Expression | undefined {
  const expr = skipOuterExpressions(callee);
  if (!ts.isPropertyAccessExpression(expr) || !ts.isIdentifier(expr.expression)) return undefined;
  for (const declaration of modules.declarationsOf(expr.expression)) {
    if (!ts.isVariableDeclaration(declaration) || !declaration.initializer) continue;
    const init = skipOuterExpressions(declaration.initializer);
    if (!ts.isCallExpression(init) || !ts.isPropertyAccessExpression(init.expression) || init.expression.name.text !== "named" || !isRouter(init.expression.expression)) continue;
    const collection = init.arguments[0] && skipOuterExpressions(init.arguments[0]);
    if (!collection || !ts.isObjectLiteralExpression(collection)) continue;
    for (const property of collection.properties) {
      if (ts.isPropertyAssignment(property) && propertyNameText(property.name) === expr.name.text) return property.initializer;
      if (ts.isShorthandPropertyAssignment(property) && property.name.text === expr.name.text) return property.name;
    }
  }
  return undefined;
}

/** The units of a method the classes declare or inherit from project base classes. */
function classMethods(resolver: Resolver, classes: ts.ClassLikeDeclaration[], name: string): FunctionUnit[] {
  const found: FunctionUnit[] = [];
  const visit = (cls: ts.ClassLikeDeclaration, depth: number): void => {
    const member = cls.members.find((m) => (ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m)) && m.name !== undefined && propertyNameText(m.name) === name);
    const unit = member && resolver.index.unitOf(member);
    if (unit) {
      found.push(unit);
      return;
    }
    if (depth >= 5) return;
    for (const clause of cls.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const type of clause.types) for (const base of resolver.declarationsOf(type.expression).filter(ts.isClassLike)) visit(base, depth + 1);
    }
  };
  for (const cls of classes) visit(cls, 0);
  return found;
}

function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + "y";
  if (/(s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  return word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word;
}

function snakeCase(word: string): string {
  return word.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-\s]+/g, "_").toLowerCase();
}

/**
 * Module specifiers to analysed files: what TypeScript resolved, else the nearest package.json's `imports`
 * (`"#controllers/*": "./app/controllers/*.js"`) or a relative path, `.js` written for the `.ts` source.
 */
class ModuleFiles {
  private readonly importsByDir = new Map<string, { dir: string; imports: Record<string, unknown> } | undefined>();

  constructor(private readonly resolver: Resolver) {}

  /** Classes a controller or middleware reference denotes: a class, a lazy `() => import(…)` of a module's default export, or a name bound to either. */
  classesOf(expression: ts.Expression | undefined, depth = 0): ts.ClassLikeDeclaration[] {
    const expr = expression && skipOuterExpressions(expression);
    if (!expr || depth > 5) return [];
    if (isFunctionNode(expr)) {
      const imported = lazyImport(expr);
      const specifier = imported && literalText(imported.arguments[0]);
      if (!imported || specifier === undefined) return [];
      const file = this.fileOf(imported.arguments[0]!) ?? this.resolve(specifier, expr.getSourceFile().fileName);
      return file ? this.exportedClasses(file, "default") : [];
    }
    const text = literalText(expr);
    if (text !== undefined) {
      const file = this.resolve(text, expr.getSourceFile().fileName);
      return file ? this.exportedClasses(file, "default") : [];
    }
    if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return [];
    const classes: ts.ClassLikeDeclaration[] = [];
    for (const declaration of this.declarationsOf(expr)) {
      if (ts.isClassLike(declaration)) classes.push(declaration);
      else if (ts.isVariableDeclaration(declaration) && declaration.initializer) classes.push(...this.classesOf(declaration.initializer, depth + 1));
      else if (ts.isExpression(declaration)) classes.push(...this.classesOf(declaration, depth + 1));
    }
    return classes;
  }

  /** Declarations behind a name, through imports TypeScript could not resolve (an alias it does not know) too. */
  declarationsOf(expression: ts.Identifier | ts.PropertyAccessExpression): ts.Node[] {
    const declarations = this.resolver.declarationsOf(expression);
    if (declarations.length > 0 || !ts.isIdentifier(expression)) return declarations;
    const binding = this.resolver.importOf(expression);
    const file = binding && this.resolve(binding.module, expression.getSourceFile().fileName);
    const exported = file && binding ? this.resolver.index.scanOf(file.fileName)?.exports.get(binding.path) : undefined;
    return exported ? [exported] : [];
  }

  exportedClasses(file: ts.SourceFile, name: string): ts.ClassLikeDeclaration[] {
    const exported = this.resolver.index.scanOf(file.fileName)?.exports.get(name);
    if (!exported) return [];
    if (ts.isClassLike(exported)) return [exported];
    if (ts.isVariableDeclaration(exported)) return exported.initializer ? this.classesOf(exported.initializer) : [];
    return ts.isExpression(exported) ? this.classesOf(exported) : [];
  }

  private fileOf(specifier: ts.Expression): ts.SourceFile | undefined {
    const file = this.resolver.symbolAt(specifier)?.declarations?.find(ts.isSourceFile);
    return file && this.resolver.index.isAnalysed(file.fileName) ? file : undefined;
  }

  resolve(specifier: string, fromFile: string): ts.SourceFile | undefined {
    let target: string | undefined;
    if (specifier.startsWith(".")) target = path.resolve(path.dirname(fromFile), specifier);
    else if (specifier.startsWith("#")) target = this.aliased(specifier, path.dirname(fromFile));
    if (!target) return undefined;
    const stem = target.replace(/\.[cm]?[jt]sx?$/, "");
    for (const candidate of [target, ...[".ts", ".tsx", ".mts", ".cts"].map((ext) => stem + ext), path.join(target, "index.ts")]) {
      const scan = this.resolver.index.scanOf(path.normalize(candidate));
      if (scan) return scan.sourceFile;
    }
    return undefined;
  }

  /** `#controllers/users_controller` through the `imports` of the nearest package.json above `dir` (plain strings or a `default`/`import`/`node` condition). */
  private aliased(specifier: string, dir: string): string | undefined {
    const found = this.importsAbove(dir);
    if (!found) return undefined;
    for (const [key, value] of Object.entries(found.imports)) {
      const star = key.indexOf("*");
      const matches = star < 0 ? key === specifier : specifier.startsWith(key.slice(0, star)) && specifier.endsWith(key.slice(star + 1)) && specifier.length >= key.length - 1;
      if (!matches) continue;
      const target = conditionTarget(value);
      if (target === undefined) continue;
      const wildcard = star < 0 ? "" : specifier.slice(star, specifier.length - (key.length - star - 1));
      return path.resolve(found.dir, target.replace("*", wildcard));
    }
    return undefined;
  }

  private importsAbove(dir: string): { dir: string; imports: Record<string, unknown> } | undefined {
    if (this.importsByDir.has(dir)) return this.importsByDir.get(dir);
    let found: { dir: string; imports: Record<string, unknown> } | undefined;
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      try {
        const imports = (JSON.parse(fs.readFileSync(file, "utf8")) as { imports?: unknown }).imports;
        found = imports !== null && typeof imports === "object" ? { dir, imports: imports as Record<string, unknown> } : undefined;
      } catch {
        found = undefined;
      }
    } else if (path.dirname(dir) !== dir) {
      found = this.importsAbove(path.dirname(dir));
    }
    this.importsByDir.set(dir, found);
    return found;
  }
}

function conditionTarget(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object") return undefined;
  const conditions = value as Record<string, unknown>;
  for (const condition of ["default", "import", "node"]) {
    const target = conditionTarget(conditions[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}

/** `() => import('#controllers/x')` (or a block returning it): the import call. */
function lazyImport(fn: ts.FunctionLikeDeclaration): ts.CallExpression | undefined {
  const body = fn.body;
  if (!body) return undefined;
  let returned: ts.Expression | undefined;
  if (ts.isBlock(body)) {
    const statement = body.statements.find(ts.isReturnStatement);
    returned = statement?.expression;
  } else {
    returned = body;
  }
  const expr = returned && skipOuterExpressions(returned);
  return expr && ts.isCallExpression(expr) && expr.expression.kind === ts.SyntaxKind.ImportKeyword ? expr : undefined;
}
