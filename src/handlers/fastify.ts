// Fastify: routes on instances and on the plugins registered into them (prefixes joined), with route and instance hooks as middleware.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { nameText, receivedIn, receivedValue, starCount, written, type NameText } from "./caller-values.js";
import { entryOf, joinRoute, literalText, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { flattenFunctions, normalizeRouteName, routePath } from "./route-tree.js";

const MODULES = ["fastify"];
const SHORTHANDS = new Set(["get", "post", "put", "patch", "delete", "head", "options", "all"]);
/** Request lifecycle hooks in the order Fastify runs them; application hooks (onReady, onClose…) run once, not per request. */
const HOOKS = ["onRequest", "preParsing", "preValidation", "preHandler", "preSerialization", "onSend", "onResponse", "onError", "onTimeout", "onRequestAbort"];
const LAST_BEFORE_HANDLER = HOOKS.indexOf("preHandler");
/** Methods that return the instance they are called on. */
const CHAINABLE = new Set([...SHORTHANDS, "route", "withTypeProvider", "register", "addHook", "after"]);

interface Hook {
  hook: string;
  entry: HandlerEntry;
}

interface Route {
  methods: NameText[];
  path: NameText;
  call: ts.CallExpression;
  hooks: Hook[];
  handler: HandlerEntry[];
}

interface Instance {
  routes: Route[];
  hooks: Hook[];
  /** Plugins registered into this instance: the key of each plugin's instance parameter, and the prefix it is registered under. */
  plugins: { child: string; prefix: string }[];
}

export const fastify: HandlerFinder = {
  framework: "fastify",
  title: "Fastify",
  modules: MODULES,
  describe:
    "`app.METHOD(path, [opts,] handler)` and `app.route({ method, url, handler })` (one handler per method; a whole route object a helper receives or a loop reads, `app.route(route)`, is read where that object is written) on instances made by `fastify()` and on the instance parameter of every plugin passed to `register(plugin, { prefix })`, prefixes joined through nested plugins. Request hooks from route options and from `addHook` on the instance or an enclosing one run in lifecycle order (`onRequest` … `preHandler` before the handler, `onSend`, `onResponse`… after it). Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    const calls: { call: ts.CallExpression; receiver: ts.Expression; method: string }[] = [];
    for (const scan of index.files) {
      for (const { node } of scan.calls) {
        if (!ts.isCallExpression(node)) continue;
        const callee = skipOuterExpressions(node.expression);
        if (!ts.isPropertyAccessExpression(callee)) continue;
        const method = callee.name.text;
        if (SHORTHANDS.has(method) || method === "route" || method === "register" || method === "addHook") calls.push({ call: node, receiver: callee.expression, method });
      }
    }

    // A plugin's first parameter is the instance it runs on: known once the plugin is registered on a known instance.
    const pluginInstances = new Set<string>();
    const isInstance = (expression: ts.Expression): boolean => instanceKey(resolver, expression, pluginInstances) !== undefined;
    for (let grown = true; grown; ) {
      grown = false;
      for (const { call, receiver, method } of calls) {
        if (method !== "register" || !call.arguments[0] || !isInstance(receiver)) continue;
        for (const child of pluginParameters(resolver, call.arguments[0])) {
          if (pluginInstances.has(child)) continue;
          pluginInstances.add(child);
          grown = true;
        }
      }
    }

    const instances = new Map<string, Instance>();
    const instanceOf = (key: string): Instance => {
      let found = instances.get(key);
      if (!found) instances.set(key, (found = { routes: [], hooks: [], plugins: [] }));
      return found;
    };
    const registered = new Set<string>();
    for (const { call, receiver, method } of calls) {
      const key = instanceKey(resolver, receiver, pluginInstances);
      if (!key) continue;
      const args = call.arguments;
      if (method === "register") {
        if (!args[0]) continue;
        const prefix = optionPath(resolver, args[1], "prefix");
        for (const child of pluginParameters(resolver, args[0])) {
          instanceOf(key).plugins.push({ child, prefix });
          registered.add(child);
        }
      } else if (method === "addHook") {
        const hook = literalText(args[0]);
        if (hook && HOOKS.includes(hook) && args[1]) instanceOf(key).hooks.push({ hook, entry: entryOf(resolver, args[1]) });
      } else if (method === "route") {
        const options = objectLiteral(args[0]);
        if (!options) {
          // `app.route(route)` with a route object a helper receives or a loop reads: its caller's object says what it is.
          const route = args[0] && receivedValue(resolver, args[0]) ? args[0] : undefined;
          if (route) {
            const upper = (t: string): string => t.toUpperCase();
            const methods = [{ text: "*", placeholders: [{ expression: route, property: ["method"], format: upper }] }];
            const path = { text: "*", placeholders: [{ expression: route, property: ["url"] }] };
            instanceOf(key).routes.push({ methods, path, call, hooks: [], handler: [{ expression: route, units: [], property: ["handler"] }] });
          }
          continue;
        }
        const methodValue = propertyValue(options, "method");
        const methods = methodValue ? methodList(methodValue) : [written("*")];
        const path = nameText(resolver, propertyValue(options, "url") ?? propertyValue(options, "path"));
        instanceOf(key).routes.push({ methods, path, call, hooks: routeHooks(resolver, options), handler: optionEntries(resolver, options, "handler") });
      } else if (args[0]) {
        // app.get(path, handler) | app.get(path, opts, handler) | app.get(path, { handler, … })
        const options = args.length > 1 ? objectLiteral(args[1]) : undefined;
        const handlerArg = args.length > 2 ? args[2] : options ? undefined : args[1];
        const handler = handlerArg ? [entryOf(resolver, handlerArg)] : options ? optionEntries(resolver, options, "handler") : [];
        instanceOf(key).routes.push({ methods: [written(method.toUpperCase())], path: nameText(resolver, args[0]), call, hooks: options ? routeHooks(resolver, options) : [], handler });
      }
    }

    const out: HandlerCandidate[] = [];
    const walk = (key: string, prefix: string, inherited: Hook[], visiting: Set<string>): void => {
      const instance = instances.get(key);
      if (!instance || visiting.has(key)) return;
      visiting.add(key);
      const hooks = [...inherited, ...instance.hooks];
      for (const route of instance.routes) {
        const lifecycle = [...hooks, ...route.hooks].sort((a, b) => HOOKS.indexOf(a.hook) - HOOKS.indexOf(b.hook));
        const before = lifecycle.filter((h) => HOOKS.indexOf(h.hook) <= LAST_BEFORE_HANDLER).map((h) => h.entry);
        const after = lifecycle.filter((h) => HOOKS.indexOf(h.hook) > LAST_BEFORE_HANDLER).map((h) => h.entry);
        // A function only a helper's caller supplies is kept for the caller to fill in (forwarded.ts).
        const entries = [...before, ...route.handler, ...after].filter((e) => e.units.length > 0 || e.property !== undefined || (e.expression !== undefined && receivedIn(resolver, e.expression).length > 0));
        const prefixStars = Array.from({ length: starCount(prefix) }, () => undefined);
        for (const method of route.methods) {
          const placeholders = [...method.placeholders, ...prefixStars, ...route.path.placeholders];
          out.push({ name: `${method.text} ${joinRoute(prefix, route.path.text)}`, framework: "fastify", node: route.call, entries, placeholders, normalizeName: normalizeRouteName });
        }
      }
      for (const plugin of instance.plugins) walk(plugin.child, joinRoute(prefix, plugin.prefix), hooks, visiting);
      visiting.delete(key);
    };
    for (const key of [...instances.keys()].filter((k) => !registered.has(k)).sort()) walk(key, "", [], new Set());
    return out;
  },
};

/** The identity of the Fastify instance an expression denotes, or undefined when it is not one. */
function instanceKey(resolver: Resolver, expression: ts.Expression, pluginInstances: ReadonlySet<string>, depth = 0): string | undefined {
  const expr = unchained(expression);
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  if (!declaration) return undefined;
  const key = nodeKey(declaration);
  if (pluginInstances.has(key)) return key;
  if (originMatches(resolver.origins(expr), MODULES, { exports: ["default", "fastify", "default.fastify", "FastifyInstance"], types: ["FastifyInstance"], forms: ["instance"] })) return key;
  // `const app = fastify().withTypeProvider<…>()`: the chained call hands back the same instance.
  if ((ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer && depth < 4) {
    const init = skipOuterExpressions(declaration.initializer);
    const base = unchained(init);
    if (base !== init && (isFastifyCall(resolver, base) || instanceKey(resolver, base, pluginInstances, depth + 1))) return key;
  }
  return undefined;
}

/** The instance at the base of a chain of calls that return it (`app.register(a).register(b)`). */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && CHAINABLE.has(expr.expression.name.text)) expr = skipOuterExpressions(expr.expression.expression);
  return expr;
}

function isFastifyCall(resolver: Resolver, expression: ts.Expression): boolean {
  return ts.isCallExpression(expression) && originMatches(resolver.origins(expression), MODULES, { exports: ["default", "fastify", "default.fastify"], forms: ["instance"] });
}

/** Keys of the instance parameter of each function a `register` argument denotes. */
function pluginParameters(resolver: Resolver, expression: ts.Expression): string[] {
  return resolver
    .functionTargets(skipOuterExpressions(expression))
    .map((unit) => unit.node.parameters[0])
    .filter((p): p is ts.ParameterDeclaration => p !== undefined && ts.isIdentifier(p.name))
    .map(nodeKey);
}

function objectLiteral(expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  const expr = expression && skipOuterExpressions(expression);
  return expr && ts.isObjectLiteralExpression(expr) ? expr : undefined;
}

function propertyOf(options: ts.ObjectLiteralExpression, name: string): ts.ObjectLiteralElementLike | undefined {
  return options.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === name);
}

function propertyValue(options: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  const property = propertyOf(options, name);
  if (property && ts.isPropertyAssignment(property)) return property.initializer;
  if (property && ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

/** What an option runs: a function, a reference, an array of them, or a method written in the options object. */
function optionEntries(resolver: Resolver, options: ts.ObjectLiteralExpression, name: string): HandlerEntry[] {
  const property = propertyOf(options, name);
  if (property && ts.isMethodDeclaration(property)) {
    const unit = resolver.index.unitOf(property);
    return unit ? [{ units: [unit] }] : [];
  }
  const value = propertyValue(options, name);
  return value ? flattenFunctions([value]).map((f) => entryOf(resolver, f)) : [];
}

function routeHooks(resolver: Resolver, options: ts.ObjectLiteralExpression): Hook[] {
  return HOOKS.flatMap((hook) => optionEntries(resolver, options, hook).map((entry) => ({ hook, entry })));
}

function optionPath(resolver: Resolver, expression: ts.Expression | undefined, name: string): string {
  const options = objectLiteral(expression);
  const value = options && propertyValue(options, name);
  return value ? routePath(resolver, value) : "";
}

function methodList(expression: ts.Expression): NameText[] {
  const expr = skipOuterExpressions(expression);
  const values = ts.isArrayLiteralExpression(expr) ? [...expr.elements] : [expr];
  return values.map((v) => {
    const text = literalText(v);
    return text !== undefined ? written(text.toUpperCase()) : { text: "*", placeholders: [{ expression: v, format: (t: string) => t.toUpperCase() }] };
  });
}
