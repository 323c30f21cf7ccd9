// h3 apps: v2 `new H3()` apps with routes, middleware, mounted sub-apps and plugins; v1 `createApp()` stacks with `createRouter()` routers mounted on them.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { joinRoute, literalText, methodCalls, wrappedEntries, type FinderContext, type HandlerFinder } from "./finder.js";
import { flattenFunctions, isPathArgument, RouteTree, routePath } from "./route-tree.js";

const MODULES = ["h3"];
const METHODS = new Set(["get", "post", "put", "delete", "patch", "head", "options", "connect", "trace", "query"]);
const REGISTRATIONS = new Set([...METHODS, "all", "on", "use", "add", "mount", "register"]);
/** Methods that return the app or router they are called on. */
const CHAINABLE = REGISTRATIONS;
/** Keys of a handler object (`defineHandler({ middleware, handler })`, v1 `defineEventHandler({ onRequest, handler, onBeforeResponse })`), in the order they run. */
const BEFORE_HANDLER = ["middleware", "onRequest"];
const AFTER_HANDLER = ["onBeforeResponse"];

type Kind = "app" | "app-v1" | "router-v1";

export const h3: HandlerFinder = {
  framework: "h3",
  title: "h3",
  modules: MODULES,
  describe:
    "v2: `app.METHOD(path, handler, { middleware })`, `app.all` and `app.on(method, path, handler)` on `new H3()` apps, written as chains or not; `app.use([path,] middleware)` runs for every route of the app under its path, whenever registered; `app.mount(base, subApp)` and `app.use(base, subApp)` mount sub-apps, prefixes joined; `app.register(plugin)` registers on the app. v1: `router.METHOD(path, handler)`, `router.use|add(path, handler, method?)` on `createRouter()` routers, reported only when mounted on a `createApp()` app with `app.use(router)`, `app.use(base, router.handler)` or `app.use(useBase(base, router.handler))`; v1 middleware runs for what is registered after it. Handlers are seen through `defineHandler`/`eventHandler` wrappers and handler objects' `middleware`/`onRequest`. Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    const entriesOf = (expression: ts.Expression) => handlerParts(resolver, expression).flatMap((part) => wrappedEntries(resolver, part));
    // v2 keeps one middleware list per app, run for every route; v1 runs its stack in registration order.
    const trees: Record<"v1" | "v2", RouteTree> = { v1: new RouteTree(resolver, "h3", entriesOf), v2: new RouteTree(resolver, "h3", entriesOf, new Set(), "all") };
    const kinds = new Map<string, Kind>();
    /** Plugin parameters: the app each registered plugin runs on. */
    const pluginApps = new Set<string>();

    const fromH3 = (e: ts.Expression, exports: string[], types: string[], forms: ("value" | "instance")[] = ["instance"]): boolean => originMatches(resolver.origins(e), MODULES, { exports, types, forms });
    const kindOf = (e: ts.Expression): Kind | undefined =>
      fromH3(e, ["H3"], ["H3", "H3$1"]) ? "app" : fromH3(e, ["createApp"], ["App"]) ? "app-v1" : fromH3(e, ["createRouter"], ["Router"]) ? "router-v1" : undefined;
    /** The app or router an expression denotes: the creation at the base of its chain, or a plugin's or typed parameter. */
    const nodeOf = (expression: ts.Expression, depth = 0): { key: string; kind: Kind } | undefined => {
      const base = unchained(expression);
      if (ts.isNewExpression(base) || ts.isCallExpression(base)) {
        const kind = kindOf(base);
        return kind ? remember(nodeKey(base), kind) : undefined;
      }
      if (!ts.isIdentifier(base) && !ts.isPropertyAccessExpression(base)) return undefined;
      const declaration = resolver.declarationsOf(base)[0];
      if (!declaration) return undefined;
      const key = nodeKey(declaration);
      if (pluginApps.has(key)) return remember(key, "app");
      const bound = ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) ? declaration.initializer : ts.isExportAssignment(declaration) ? declaration.expression : undefined;
      const viaBinding = bound && depth < 5 ? nodeOf(bound, depth + 1) : undefined;
      if (viaBinding) return viaBinding;
      const kind = kindOf(base);
      return kind ? remember(key, kind) : undefined;
    };
    const remember = (key: string, kind: Kind): { key: string; kind: Kind } => {
      kinds.set(key, kind);
      return { key, kind };
    };
    /** What a use() or mount() argument mounts: a v2 app, a v1 router (or its `.handler`), or `useBase(base, router.handler)`. */
    const mountOf = (expression: ts.Expression): { key: string; kind: Kind; prefix: string } | undefined => {
      const expr = skipOuterExpressions(expression);
      if (ts.isCallExpression(expr) && fromH3(expr.expression, ["useBase"], [], ["value"])) {
        const inner = expr.arguments[1] && mountOf(expr.arguments[1]);
        return inner && { ...inner, prefix: joinRoute(routePath(resolver, expr.arguments[0]), inner.prefix) };
      }
      const target = ts.isPropertyAccessExpression(expr) && expr.name.text === "handler" ? expr.expression : expr;
      const found = nodeOf(target);
      return found && found.kind !== "app-v1" ? { ...found, prefix: "" } : undefined;
    };
    /** The app parameter of a plugin given to register(): a function, or `definePlugin(fn)` called with its options. */
    const pluginParameters = (expression: ts.Expression): string[] => {
      let expr = skipOuterExpressions(expression);
      if (ts.isCallExpression(expr) && !fromH3(expr.expression, ["definePlugin"], [], ["value"])) {
        const declaration = resolver.declarationsOf(expr.expression)[0];
        if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) expr = skipOuterExpressions(declaration.initializer);
      }
      if (ts.isCallExpression(expr) && fromH3(expr.expression, ["definePlugin"], [], ["value"]) && expr.arguments[0]) expr = expr.arguments[0];
      return resolver
        .functionTargets(expr)
        .map((unit) => unit.node.parameters[0])
        .filter((p): p is ts.ParameterDeclaration => p !== undefined && ts.isIdentifier(p.name))
        .map(nodeKey);
    };

    const calls = [...methodCalls(index, REGISTRATIONS)];
    for (let grown = true; grown; ) {
      grown = false;
      for (const { call, callee, method } of calls) {
        if (method !== "register" || !call.arguments[0] || nodeOf(callee.expression)?.kind !== "app") continue;
        for (const parameter of pluginParameters(call.arguments[0])) {
          if (pluginApps.has(parameter)) continue;
          pluginApps.add(parameter);
          grown = true;
        }
      }
    }

    for (const { call, callee, method } of calls) {
      const target = nodeOf(callee.expression);
      if (!target) continue;
      const tree = target.kind === "app" ? trees.v2 : trees.v1;
      const node = tree.router(target.key);
      const args = [...call.arguments];
      if (target.kind === "app-v1" && method !== "use") continue;
      if (method === "use" && target.kind !== "router-v1") {
        const hasPath = isPathArgument(args[0]) || (args.length > 1 && routePath(resolver, args[0]) !== "*");
        const path = hasPath ? middlewarePath(routePath(resolver, args[0])) : "";
        // v2's third argument is middleware options, not a handler.
        const rest = flattenFunctions(target.kind === "app" ? args.slice(hasPath ? 1 : 0, hasPath ? 2 : 1) : hasPath ? args.slice(1) : args, resolver);
        for (const arg of rest) {
          const mounted = mountOf(arg);
          node.uses.push(mounted ? { path, call, middleware: [], mounts: [{ router: mounted.key, prefix: mounted.prefix }] } : { path, call, middleware: [arg], mounts: [] });
        }
      } else if (method === "mount" && target.kind === "app" && args[1]) {
        const mounted = mountOf(args[1]);
        if (mounted?.kind === "app") node.uses.push({ path: routePath(resolver, args[0]), call, middleware: [], mounts: [{ router: mounted.key, prefix: "" }] });
      } else if (method === "register" && target.kind === "app" && args[0]) {
        node.uses.push({ path: "", call, middleware: [], mounts: pluginParameters(args[0]).map((router) => ({ router, prefix: "" })) });
      } else if (method === "on" && target.kind === "app" && args[2]) {
        node.routes.push({ method: verb(args[0]), path: routePath(resolver, args[1]), call, functions: [...routeMiddleware(resolver, args[3]), args[2]] });
      } else if ((method === "use" || method === "add") && target.kind === "router-v1" && args[1]) {
        // v1 router.use(path, handler, method?) and router.add(…): a route for every method, or for the methods given.
        for (const m of args[2] ? listOf(args[2]) : [undefined]) node.routes.push({ method: verb(m), path: routePath(resolver, args[0]), call, functions: [args[1]] });
      } else if ((METHODS.has(method) || method === "all") && args[1]) {
        const functions = target.kind === "app" ? [...routeMiddleware(resolver, args[2]), args[1]] : [args[1]];
        node.routes.push({ method: method === "all" ? "ALL" : method.toUpperCase(), path: routePath(resolver, args[0]), call, functions });
      }
    }

    // A v1 router serves nothing until an app mounts it.
    const mounted = new Set([...trees.v1.routers.values()].flatMap((r) => r.uses.flatMap((u) => u.mounts.map((m) => m.router))));
    for (const key of [...trees.v1.routers.keys()]) if (kinds.get(key) === "router-v1" && !mounted.has(key)) trees.v1.routers.delete(key);
    return [...trees.v2.handlers(), ...trees.v1.handlers()];
  },
};

/** The app or router at the base of a chain of registrations. */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && CHAINABLE.has(expr.expression.name.text)) expr = skipOuterExpressions(expr.expression.expression);
  return expr;
}

/** A handler object's parts in the order they run; any other handler is itself. */
function handlerParts(resolver: Resolver, expression: ts.Expression): ts.Expression[] {
  const expr = skipOuterExpressions(expression);
  const object = ts.isCallExpression(expr) && expr.arguments.length === 1 ? skipOuterExpressions(expr.arguments[0]!) : expr;
  if (!ts.isObjectLiteralExpression(object)) return [expression];
  const handler = propertyValue(object, "handler");
  if (!handler) return [expression];
  const values = (names: string[]) => names.flatMap((name) => flattenFunctions([propertyValue(object, name)].filter((v): v is ts.Expression => v !== undefined), resolver));
  return [...values(BEFORE_HANDLER), handler, ...values(AFTER_HANDLER)];
}

/** The `middleware` of route options (`app.get(path, handler, { middleware: [auth] })`). */
function routeMiddleware(resolver: Resolver, options: ts.Expression | undefined): ts.Expression[] {
  const expr = options && skipOuterExpressions(options);
  const value = expr && ts.isObjectLiteralExpression(expr) ? propertyValue(expr, "middleware") : undefined;
  return value ? flattenFunctions([value], resolver) : [];
}

function propertyValue(object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const property = object.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === name);
  if (property && ts.isPropertyAssignment(property)) return property.initializer;
  if (property && ts.isShorthandPropertyAssignment(property)) return property.name;
  if (property && ts.isMethodDeclaration(property) && ts.isIdentifier(property.name)) return property.name;
  return undefined;
}

/** `"post"` → `POST`; no method, `""` or `"all"` → `ALL`; what cannot be read → `*`. */
function verb(expression: ts.Expression | undefined): string {
  if (!expression) return "ALL";
  const text = literalText(expression);
  if (text === undefined) return "*";
  return text === "" || text.toLowerCase() === "all" ? "ALL" : text.toUpperCase();
}

function listOf(expression: ts.Expression): ts.Expression[] {
  const expr = skipOuterExpressions(expression);
  return ts.isArrayLiteralExpression(expr) ? [...expr.elements] : [expression];
}

/** `/api/**` covers `/api` and everything under it. */
function middlewarePath(path: string): string {
  return path.replace(/\/\*\*?$/, "");
}
