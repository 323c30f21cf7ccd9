// Feathers 5: the methods of services registered with `app.use(path, service)`, named by the REST route Feathers exposes, with app and service hooks around them.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText, type FunctionUnit } from "../scan/units.js";
import { entryOf, joinRoute, literalText, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const MODULES = ["@feathersjs/feathers", "@feathersjs/koa", "@feathersjs/express"];

/** The standard service methods and the REST route each is served at. */
const STANDARD: Record<string, { verb: string; id: boolean }> = {
  find: { verb: "GET", id: false },
  get: { verb: "GET", id: true },
  create: { verb: "POST", id: false },
  update: { verb: "PUT", id: true },
  patch: { verb: "PATCH", id: true },
  remove: { verb: "DELETE", id: true },
};
const HOOK_TYPES = ["around", "before", "after", "error"] as const;
type HookType = (typeof HOOK_TYPES)[number];

/** Hooks registered on the app or one service: per type, per method (`all` for every method). */
type Hooks = Map<HookType, Map<string, HandlerEntry[]>>;

export const feathers: HandlerFinder = {
  framework: "feathers",
  title: "Feathers",
  modules: MODULES,
  describe:
    "`app.use(path, service, { methods })` on a Feathers app (`feathers()`, `koa(feathers())`, `express(feathers())`, or a parameter typed as its `Application`): " +
    "one handler per method the service (a `new` project class, with inherited methods, or an object literal) implements among those exposed (the `methods` option, else the standard ones); " +
    "a service that is or extends a database adapter's class (`new MemoryService()`, `class X extends KnexService`) has the standard methods, running only their hooks unless the project overrides them; handlers are " +
    "named by its REST route: find `GET /path`, get `GET /path/:id`, create `POST /path`, update `PUT /path/:id`, patch `PATCH /path/:id`, remove `DELETE /path/:id`, " +
    "and a custom method `POST /path (method)` (Feathers 5 calls it with `POST` and the `X-Service-Method` header); located at the `app.use` call. " +
    "Hooks from `app.hooks({…})` and `app.service(path).hooks({…})` (`around`, `before`, `after`, `error`, for `all` and for the method) run in Feathers' order: app around and before, service around and before, the method, then after and error hooks.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const isApp = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(e), MODULES, {
        exports: ["default", "feathers", "koa", "express", "Application", "FeathersApplication"],
        types: ["Application", "FeathersApplication"],
        forms: ["instance"],
      });
    const appHooks: Hooks = new Map();
    const serviceHooks = new Map<string, Hooks>();
    const registrations: ts.CallExpression[] = [];
    for (const { call, callee, method } of methodCalls(index, new Set(["use", "hooks"]))) {
      if (method === "use") {
        if (call.arguments.length >= 2 && isApp(callee.expression)) registrations.push(call);
        continue;
      }
      const options = call.arguments[0];
      if (!options) continue;
      if (isApp(callee.expression)) {
        addHooks(resolver, appHooks, options);
        continue;
      }
      const servicePath = servicePathOf(resolver, callee.expression, isApp);
      if (servicePath === undefined) continue;
      const hooks = serviceHooks.get(servicePath) ?? new Map();
      serviceHooks.set(servicePath, hooks);
      addHooks(resolver, hooks, options);
    }

    const out: HandlerCandidate[] = [];
    for (const call of registrations) {
      const [pathArg, serviceArg, optionsArg] = call.arguments;
      const { methods, adapter } = serviceOf(resolver, serviceArg!);
      if (methods.size === 0 && !adapter) continue;
      const servicePath = joinRoute(routePath(resolver, pathArg));
      const exposed = exposedMethods(resolver, optionsArg) ?? Object.keys(STANDARD);
      const own = serviceHooks.get(servicePath) ?? new Map();
      for (const method of exposed) {
        const units = methods.get(method) ?? [];
        const standard = STANDARD[method];
        // A database adapter's base class implements the standard methods; only the hooks around them are project code.
        if (units.length === 0 && !(adapter && standard)) continue;
        const name = standard ? `${standard.verb} ${joinRoute(servicePath, standard.id ? ":id" : "")}` : `POST ${servicePath} (${method})`;
        const entries = [
          ...hooksOf(appHooks, ["around", "before"], method),
          ...hooksOf(own, ["around", "before"], method),
          ...(units.length > 0 ? [{ expression: serviceArg, units }] : []),
          ...hooksOf(own, ["after"], method),
          ...hooksOf(appHooks, ["after"], method),
          ...hooksOf(own, ["error"], method),
          ...hooksOf(appHooks, ["error"], method),
        ];
        out.push({ name, framework: "feathers", node: call, entries });
      }
    }
    return out;
  },
};

/** `app.service('messages')`, or a name bound to it: the service's path. */
function servicePathOf(resolver: Resolver, expression: ts.Expression, isApp: (e: ts.Expression) => boolean): string | undefined {
  let expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return undefined;
    expr = skipOuterExpressions(declaration.initializer);
  }
  if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression) || expr.expression.name.text !== "service" || !isApp(expr.expression.expression)) return undefined;
  return joinRoute(routePath(resolver, expr.arguments[0]));
}

/**
 * `{ around: { all: [a] }, before: { create: [b] } }`; a type's value may be one hook or an array (for `all`);
 * other keys (`{ create: [c] }`) are around hooks of that method.
 */
function addHooks(resolver: Resolver, hooks: Hooks, options: ts.Expression): void {
  const object = objectOf(resolver, options, 0);
  if (!object) return;
  const add = (type: HookType, method: string, value: ts.Expression): void => {
    const byMethod = hooks.get(type) ?? new Map<string, HandlerEntry[]>();
    hooks.set(type, byMethod);
    byMethod.set(method, [...(byMethod.get(method) ?? []), ...listOf(value).map((hook) => entryOf(resolver, hook)).filter((e) => e.units.length > 0)]);
  };
  for (const [key, value] of properties(object)) {
    const type = HOOK_TYPES.find((t) => t === key);
    if (!type) {
      add("around", key, value);
      continue;
    }
    const methods = objectOf(resolver, value, 0);
    if (!methods) {
      add(type, "all", value);
      continue;
    }
    for (const [method, list] of properties(methods)) add(type, method, list);
  }
}

/** Entries of the given hook types for a method: per type, `all` hooks then the method's. */
function hooksOf(hooks: Hooks, types: HookType[], method: string): HandlerEntry[] {
  return types.flatMap((type) => [...(hooks.get(type)?.get("all") ?? []), ...(hooks.get(type)?.get(method) ?? [])]);
}

/**
 * The methods a service value implements, by name: a `new` project class (inherited methods included) or an object literal;
 * `adapter` when the class is, or extends, a Feathers database adapter's (`new MemoryService()`, `class X extends KnexService`).
 */
function serviceOf(resolver: Resolver, expression: ts.Expression): { methods: Map<string, FunctionUnit[]>; adapter: boolean } {
  const methods = new Map<string, FunctionUnit[]>();
  let adapter = false;
  const isAdapter = (e: ts.Expression): boolean => resolver.origins(e).some((o) => o.module.startsWith("@feathersjs/") || o.module.startsWith("feathers-"));
  let expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) expr = skipOuterExpressions(declaration.initializer);
  }
  if (ts.isObjectLiteralExpression(expr)) {
    for (const property of expr.properties) {
      if (!property.name) continue;
      const units = ts.isMethodDeclaration(property) ? [resolver.index.unitOf(property)].filter((u): u is FunctionUnit => u !== undefined) : ts.isPropertyAssignment(property) ? entryOf(resolver, property.initializer).units : [];
      if (units.length > 0) methods.set(propertyNameText(property.name), units);
    }
    return { methods, adapter };
  }
  if (!ts.isNewExpression(expr)) return { methods, adapter };
  const visit = (cls: ts.ClassLikeDeclaration, depth: number): void => {
    for (const member of cls.members) {
      if ((!ts.isMethodDeclaration(member) && !ts.isPropertyDeclaration(member)) || !member.name) continue;
      const name = propertyNameText(member.name);
      const unit = resolver.index.unitOf(member);
      if (unit && !methods.has(name)) methods.set(name, [unit]);
    }
    if (depth >= 5) return;
    for (const clause of cls.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const type of clause.types) {
        if (isAdapter(type.expression)) adapter = true;
        else for (const base of resolver.declarationsOf(type.expression).filter(ts.isClassLike)) visit(base, depth + 1);
      }
    }
  };
  const classes = resolver.declarationsOf(expr.expression).filter((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d) && resolver.index.isAnalysed(d.getSourceFile().fileName));
  if (classes.length === 0) adapter = isAdapter(expr.expression);
  for (const cls of classes) visit(cls, 0);
  return { methods, adapter };
}

/** The `methods` option (`['find', 'create', 'markRead']`, or a constant holding the list); undefined when not given or not readable. */
function exposedMethods(resolver: Resolver, options: ts.Expression | undefined): string[] | undefined {
  const object = options && objectOf(resolver, options, 0);
  const value = object && properties(object).find(([key]) => key === "methods")?.[1];
  const list = value && arrayOf(resolver, value, 0);
  if (!list) return undefined;
  const names = list.elements.map((e) => literalText(e));
  return names.every((n): n is string => n !== undefined) ? names : undefined;
}

function arrayOf(resolver: Resolver, expression: ts.Expression, depth: number): ts.ArrayLiteralExpression | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) return expr;
  if (depth > 5 || (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr))) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer ? arrayOf(resolver, declaration.initializer, depth + 1) : undefined;
}

function objectOf(resolver: Resolver, expression: ts.Expression, depth: number): ts.ObjectLiteralExpression | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (depth > 5 || (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr))) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && resolver.index.isAnalysed(declaration.getSourceFile().fileName)
    ? objectOf(resolver, declaration.initializer, depth + 1)
    : undefined;
}

function properties(object: ts.ObjectLiteralExpression): [string, ts.Expression][] {
  return object.properties.flatMap((p): [string, ts.Expression][] => {
    if (ts.isPropertyAssignment(p)) return [[propertyNameText(p.name), p.initializer]];
    if (ts.isShorthandPropertyAssignment(p)) return [[p.name.text, p.name]];
    return [];
  });
}

function listOf(expression: ts.Expression): ts.Expression[] {
  const expr = skipOuterExpressions(expression);
  return ts.isArrayLiteralExpression(expr) ? expr.elements.flatMap(listOf) : [expression];
}
