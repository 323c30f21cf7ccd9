// Elysia: routes on `new Elysia({ prefix })` instances and their chains, groups, guards and plugins joined with use(), with lifecycle hooks in the order Elysia runs them.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { type FinderContext, type HandlerFinder, literalText, methodCalls, returnedExpressions } from "./finder.js";
import { flattenFunctions, RouteTree, routePath, type UseRecord } from "./route-tree.js";

const MODULES = ["elysia"];
const ROUTES = new Set(["get", "post", "put", "patch", "delete", "options", "head", "all", "connect"]);
/** Lifecycle stages in the order Elysia runs them; the route's handler runs at `handle`. */
const STAGES = ["request", "parse", "transform", "beforeHandle", "handle", "afterHandle", "mapResponse", "error", "afterResponse"];
const HANDLE = STAGES.indexOf("handle");
/** Instance methods that add a hook for the routes registered after them, and the stage it runs at. */
const HOOK_METHODS: Record<string, string> = {
  onRequest: "request",
  onParse: "parse",
  onTransform: "transform",
  derive: "transform",
  mapDerive: "transform",
  onBeforeHandle: "beforeHandle",
  resolve: "beforeHandle",
  mapResolve: "beforeHandle",
  onAfterHandle: "afterHandle",
  mapResponse: "mapResponse",
  onError: "error",
  onAfterResponse: "afterResponse",
};
/** Hook scopes that also apply to the instance a plugin is used in (`{ as: "scoped" }`, `.as("global")`). */
const EXPORTED_SCOPES = new Set(["scoped", "global", "plugin"]);
/** Methods that return the instance they are called on, so a chain of them is that instance. */
const CHAINABLE = new Set([
  ...ROUTES,
  ...Object.keys(HOOK_METHODS),
  ...["route", "group", "guard", "use", "on", "as", "decorate", "state", "model", "macro", "headers", "env", "wrap", "mount", "ws", "trace", "parser", "error", "listen", "compile", "onStart", "onStop", "prefix", "suffix", "affix"],
]);
const REGISTRATIONS = new Set([...ROUTES, ...Object.keys(HOOK_METHODS), "route", "group", "guard", "use", "on", "as"]);

export const elysia: HandlerFinder = {
  framework: "elysia",
  title: "Elysia",
  modules: MODULES,
  describe:
    "`app.METHOD(path, handler, hook?)` and `app.route(method, path, handler)` on `new Elysia({ prefix })` instances, written as chains or not, and on the instance a `group(prefix, [hook,] app => …)`, `guard(hook, app => …)` or functional plugin receives; `use(plugin)` joins a plugin instance (or a factory's, or an array of them) under the user's prefix. Hooks run in Elysia's lifecycle order around the handler: `onRequest`, `onParse`, `onTransform`/`derive`, `onBeforeHandle`/`resolve` and a guard's or route's local `beforeHandle` before it, `onAfterHandle`, `mapResponse`, `onError`, `onAfterResponse` after it; an instance hook applies to the routes registered after it on that instance and its groups and plugins, and, when scoped or global (`{ as }` or `.as()`), to the routes the using instance registers after `use()`. Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    const tree = new RouteTree(resolver, "elysia");
    /** The stage each hook or handler expression runs at. */
    const stages = new Map<ts.Node, number>();
    /** Instance parameters of group, guard and functional-plugin callbacks used on a known instance. */
    const callbackInstances = new Set<string>();

    const isElysia = (e: ts.Expression): boolean => originMatches(resolver.origins(e), MODULES, { exports: ["Elysia", "default", "default.Elysia"], types: ["Elysia"], forms: ["instance"] });
    /** One key per instance however it is reached: the `new Elysia()` at the base of its chain, or the callback parameter or typed binding it is. */
    const instanceKey = (expression: ts.Expression, depth = 0): string | undefined => {
      const base = unchained(expression);
      if (ts.isNewExpression(base)) return isElysia(base) ? created(base) : undefined;
      if (!ts.isIdentifier(base) && !ts.isPropertyAccessExpression(base)) return undefined;
      const declaration = resolver.declarationsOf(base)[0];
      if (!declaration) return undefined;
      const key = nodeKey(declaration);
      if (callbackInstances.has(key)) return key;
      const bound = ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) ? declaration.initializer : ts.isExportAssignment(declaration) ? declaration.expression : undefined;
      const viaBinding = bound && depth < 5 ? instanceKey(bound, depth + 1) : undefined;
      return viaBinding ?? (isElysia(base) ? key : undefined);
    };
    const created = (creation: ts.NewExpression): string => {
      const key = nodeKey(creation);
      if (!tree.routers.has(key)) tree.router(key).ownPrefix = routePath(resolver, propertyValue(objectLiteral(creation.arguments?.[0]), "prefix"));
      return key;
    };
    /** The instances a use() argument joins: instances, factories returning one, functional plugins' parameters, arrays of them. */
    const plugins = (expression: ts.Expression): string[] =>
      flattenFunctions([expression], resolver).flatMap((arg) => {
        const key = instanceKey(arg);
        if (key) return [key];
        const expr = skipOuterExpressions(arg);
        if (ts.isCallExpression(expr)) return resolver.functionTargets(expr.expression).flatMap((unit) => returnedExpressions(unit.node)).flatMap((r) => [instanceKey(r)].filter((k): k is string => k !== undefined));
        return callbackParameters(arg);
      });
    const callbackParameters = (expression: ts.Expression | undefined): string[] =>
      expression ? resolver.functionTargets(expression).map((unit) => unit.node.parameters[0]).filter((p): p is ts.ParameterDeclaration => p !== undefined && ts.isIdentifier(p.name)).map(nodeKey) : [];
    /** The callback a group() or guard() runs on its new instance: its last argument, after the prefix or hook. */
    const scopeCallback = (call: ts.CallExpression): ts.Expression | undefined => {
      const last = call.arguments[call.arguments.length - 1];
      return last && call.arguments.length > 1 && !ts.isObjectLiteralExpression(skipOuterExpressions(last)) ? last : undefined;
    };

    const calls = [...methodCalls(index, REGISTRATIONS)];
    // A callback's instance is known once the call passing it is on a known instance, which may itself be such a parameter.
    for (let grown = true; grown; ) {
      grown = false;
      for (const { call, callee, method } of calls) {
        if ((method !== "group" && method !== "guard" && method !== "use") || !instanceKey(callee.expression)) continue;
        const parameters = method === "use" ? (call.arguments[0] && !instanceKey(call.arguments[0]) ? callbackParameters(call.arguments[0]) : []) : callbackParameters(scopeCallback(call));
        for (const parameter of parameters) {
          if (callbackInstances.has(parameter)) continue;
          callbackInstances.add(parameter);
          grown = true;
        }
      }
    }

    const exported = new Set<UseRecord>();
    const uses: { parent: string; call: ts.CallExpression; children: string[] }[] = [];
    const lifts: { key: string; call: ts.CallExpression }[] = [];
    for (const { call, callee, method } of calls) {
      const key = instanceKey(callee.expression);
      if (!key) continue;
      const node = tree.router(key);
      const args = [...call.arguments];
      if (ROUTES.has(method) || method === "route") {
        const [verb, pathArg, handler, hook] = method === "route" ? args : [undefined, ...args];
        if (!pathArg || !handler) continue;
        stages.set(handler, HANDLE);
        const verbName = method === "route" ? (literalText(verb) ?? "*").toUpperCase() : method.toUpperCase();
        node.routes.push({ method: verbName, path: routePath(resolver, pathArg), call, functions: [...localHooks(objectLiteral(hook)), handler] });
      } else if (method in HOOK_METHODS || method === "on") {
        // onBeforeHandle([options,] …fns) | on([options,] "beforeHandle", …fns)
        const options = objectLiteral(args[0]);
        const rest = options ? args.slice(1) : args;
        const stage = method === "on" ? literalText(rest[0]) : HOOK_METHODS[method];
        if (stage === undefined || !STAGES.includes(stage)) continue;
        const middleware = flattenFunctions(method === "on" ? rest.slice(1) : rest, resolver);
        for (const fn of middleware) stages.set(fn, STAGES.indexOf(stage));
        const record: UseRecord = { path: "", call, middleware, mounts: [] };
        node.uses.push(record);
        if (EXPORTED_SCOPES.has(literalText(propertyValue(options, "as")) ?? "")) exported.add(record);
      } else if (method === "group" || method === "guard") {
        // group(prefix, [hook,] app => …) | guard(hook, app => …) | guard(hook): the hook applies to what follows.
        const hook = objectLiteral(method === "group" ? args[1] : args[0]);
        const callback = scopeCallback(call);
        const record: UseRecord = { path: method === "group" ? routePath(resolver, args[0]) : "", call, middleware: localHooks(hook), mounts: callbackParameters(callback).map((router) => ({ router, prefix: "" })) };
        node.uses.push(record);
        if (!callback && EXPORTED_SCOPES.has(literalText(propertyValue(hook, "as")) ?? "")) exported.add(record);
      } else if (method === "use" && args[0]) {
        const children = plugins(args[0]);
        node.uses.push({ path: "", call, middleware: [], mounts: children.map((router) => ({ router, prefix: "" })) });
        uses.push({ parent: key, call, children });
      } else if (method === "as" && EXPORTED_SCOPES.has(literalText(args[0]) ?? "")) {
        lifts.push({ key, call });
      }
    }
    // `.as("scoped")` lifts the hooks registered before it.
    for (const { key, call } of lifts) for (const record of tree.router(key).uses) if (record.mounts.length === 0 && record.call.expression.getEnd() < call.expression.getEnd()) exported.add(record);
    // A plugin's scoped and global hooks also run for the routes its user registers after use().
    for (const { parent, call, children } of uses) {
      const middleware = children.flatMap((child) => (tree.routers.get(child)?.uses ?? []).filter((u) => exported.has(u)).flatMap((u) => u.middleware));
      if (middleware.length > 0) tree.router(parent).uses.push({ path: "", call, middleware, mounts: [] });
    }

    const stageOf = (expression: ts.Expression | undefined): number => (expression && stages.get(expression)) ?? HANDLE;
    return tree.handlers().map((handler) => ({ ...handler, entries: [...handler.entries].sort((a, b) => stageOf(a.expression) - stageOf(b.expression)) }));

    /** The functions a route's or guard's local hook object runs (`{ beforeHandle: [auth], afterHandle }`), each at its stage. */
    function localHooks(hook: ts.ObjectLiteralExpression | undefined): ts.Expression[] {
      const out: ts.Expression[] = [];
      for (const property of hook?.properties ?? []) {
        const stage = property.name ? propertyNameText(property.name) : "";
        if (!STAGES.includes(stage) || stage === "handle" || stage === "request") continue;
        // A hook written as a method is reached through its name.
        const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) || (ts.isMethodDeclaration(property) && ts.isIdentifier(property.name)) ? (property.name as ts.Identifier) : undefined;
        for (const fn of value ? flattenFunctions([value], resolver) : []) {
          stages.set(fn, STAGES.indexOf(stage));
          out.push(fn);
        }
      }
      return out;
    }
  },
};

/** The instance at the base of a chain of calls that return it. */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && CHAINABLE.has(expr.expression.name.text)) expr = skipOuterExpressions(expr.expression.expression);
  return expr;
}

function objectLiteral(expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  const expr = expression && skipOuterExpressions(expression);
  return expr && ts.isObjectLiteralExpression(expr) ? expr : undefined;
}

function propertyValue(options: ts.ObjectLiteralExpression | undefined, name: string): ts.Expression | undefined {
  const property = options?.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === name);
  if (property && ts.isPropertyAssignment(property)) return property.initializer;
  if (property && ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

