// ts-rest: route implementations given for an `initContract().router({...})` contract (servers' routers and NestJS controller methods), named by the contract's method and path.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";
import { entryOf, type FinderContext, followVariables, type HandlerCandidate, type HandlerEntry, type HandlerFinder, joinRoute, literalText, projectInitializer } from "./finder.js";
import { flattenFunctions, routePath } from "./route-tree.js";

const CORE = "@ts-rest/core";
/** Packages whose `initServer()` (or `tsr`) builds router implementations with `.router(contract, impl)`. */
const SERVERS = ["@ts-rest/express", "@ts-rest/fastify", "@ts-rest/serverless", "@ts-rest/serverless/fetch", "@ts-rest/serverless/next", "@ts-rest/serverless/aws"];
const NEXT = "@ts-rest/next";
const NEST = "@ts-rest/nest";
const NEST_COMMON = "@nestjs/common";
const MODULES = [CORE, ...SERVERS, NEXT, NEST];
/** @ts-rest/nest method decorators naming the contract route (or, for `TsRestHandler`, router) a controller method serves. */
const NEST_ROUTES = new Set(["TsRestHandler", "TsRest", "Api"]);

/** A contract node: a router (an object of routes and routers, with the path prefix applied to it) or one route. */
type Contract = { router: ts.ObjectLiteralExpression; prefix: string } | { route: { method: string; path: string } };

export const tsRest: HandlerFinder = {
  framework: "ts-rest",
  title: "ts-rest",
  modules: MODULES,
  describe:
    "Router implementations of a contract: `initServer().router(contract, impl)` (@ts-rest/express, and the same shape from @ts-rest/fastify and `tsr.router` of @ts-rest/serverless), `createExpressEndpoints(contract, impl, app, { globalMiddleware })`, `createNextRoute(contract, impl)` and `createNextRouter(contract, impl)`; implementations nest (`orders: ordersRouter`, `s.route(contract.x, fn)`). Each route of an implementation (a function, or `{ middleware, handler }`) is a handler located at its property name and named `METHOD /path` from the contract (an object literal given to `initContract().router({...}, { pathPrefix })`, nested routers and `c.query`/`c.mutation` included, possibly in another file), or `ts-rest <key.path>` when the contract cannot be read. Entries: `globalMiddleware`, the route's `middleware`, then its handler. A contract route nobody implements is not a handler. " +
    "NestJS (@ts-rest/nest): a `@Controller` method decorated `@TsRestHandler(contract.orders.create)` is a handler at the decorator's `@`, running the method then the implementation it returns with " +
    "`tsRestHandler(route, fn)`; with a router, `@TsRestHandler(contract.orders)` returning `tsRestHandler(contract.orders, { create, list })`, each implemented route is a handler at its property name, running the method then " +
    "that route's function; the deprecated `@TsRest(route)` and `@Api(route)` make the method itself the handler. Names carry the controller's path (`@Controller(\"v1\")`); the app's global prefix and Nest's guards, interceptors and pipes are not applied to them.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const model = new TsRestModel(resolver);
    // Calls that serve an implementation first: their global middleware belongs to the routes they reach.
    const served: { call: ts.CallExpression; middleware: ts.Expression[] }[] = [];
    const built: ts.CallExpression[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || call.arguments.length < 2) continue;
        const kind = model.callKind(call);
        if (kind === "serve") served.push({ call, middleware: globalMiddleware(resolver, call.arguments[3]) });
        else if (kind === "build") built.push(call);
      }
    }
    const out: HandlerCandidate[] = [];
    const seen = new Set<string>();
    for (const { call, middleware } of [...served, ...built.map((call) => ({ call, middleware: [] }))]) {
      const contract = model.contractOf(call.arguments[0]!, "", new Set());
      const entries = middleware.map((m) => entryOf(resolver, m));
      model.implementation(call.arguments[1]!, contract, "", entries, out, seen, new Set());
    }
    for (const scan of index.files) for (const cls of scan.classes) nestHandlers(resolver, model, cls, out, seen);
    return out;
  },
};

/** `createExpressEndpoints(contract, impl, app, { globalMiddleware: [a, b] })`: the middleware expressions. */
function globalMiddleware(resolver: Resolver, options: ts.Expression | undefined): ts.Expression[] {
  const literal = options && followVariables(resolver, options);
  if (!literal || !ts.isObjectLiteralExpression(literal)) return [];
  const property = literal.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyNameText(p.name) === "globalMiddleware");
  return property ? flattenFunctions([property.initializer]) : [];
}

class TsRestModel {
  constructor(private readonly resolver: Resolver) {}

  /** `serve`: a call that mounts an implementation on a server; `build`: a call that builds one; else not ts-rest. */
  callKind(call: ts.CallExpression): "serve" | "build" | undefined {
    const callee = skipOuterExpressions(call.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      if (callee.name.text !== "router") return undefined;
      const origins = this.resolver.origins(callee.expression);
      const server = originMatches(origins, SERVERS, { exports: ["initServer"], types: ["*"] }) || originMatches(origins, SERVERS, { exports: ["tsr"], forms: ["value"] });
      return server ? "build" : undefined;
    }
    const origins = this.resolver.origins(callee);
    if (originMatches(origins, ["@ts-rest/express"], { exports: ["createExpressEndpoints"], forms: ["value"] })) return "serve";
    if (originMatches(origins, [NEXT], { exports: ["createNextRouter"], forms: ["value"] })) return "serve";
    if (originMatches(origins, [NEXT], { exports: ["createNextRoute"], forms: ["value"] })) return "build";
    return undefined;
  }

  /** The contract node an expression denotes: `contract`, `contract.orders`, a `c.router(…)` call, a route literal. */
  contractOf(expression: ts.Expression, prefix: string, seen: Set<ts.Node>): Contract | undefined {
    const expr = skipOuterExpressions(expression);
    if (seen.has(expr)) return undefined;
    seen.add(expr);
    if (ts.isIdentifier(expr)) {
      const init = projectInitializer(this.resolver, expr);
      return init ? this.contractOf(init, prefix, seen) : undefined;
    }
    if (ts.isPropertyAccessExpression(expr)) {
      // The deprecated `initNestServer(contract).route` is the contract.
      const server = expr.name.text === "route" ? followVariables(this.resolver, expr.expression) : undefined;
      if (server && ts.isCallExpression(server) && server.arguments[0] && originMatches(this.resolver.origins(server.expression), [NEST], { exports: ["initNestServer"], forms: ["value"] })) {
        return this.contractOf(server.arguments[0], prefix, seen);
      }
      const base = this.contractOf(expr.expression, prefix, seen);
      if (!base || !("router" in base)) return undefined;
      const value = memberValue(base.router, expr.name.text);
      return value ? this.contractOf(value, base.prefix, seen) : undefined;
    }
    if (ts.isCallExpression(expr)) {
      const callee = skipOuterExpressions(expr.expression);
      // `nestControllerContract(contract.orders)` returns the router it is given.
      if (expr.arguments[0] && originMatches(this.resolver.origins(callee), [NEST], { exports: ["nestControllerContract"], forms: ["value"] })) return this.contractOf(expr.arguments[0], prefix, seen);
      if (!ts.isPropertyAccessExpression(callee) || !originMatches(this.resolver.origins(callee.expression), [CORE], { exports: ["initContract", "initTsRest"], types: ["*"] })) return undefined;
      const [first, options] = expr.arguments;
      if (!first) return undefined;
      if (callee.name.text === "query" || callee.name.text === "mutation") return this.contractOf(first, prefix, seen);
      if (callee.name.text !== "router") return undefined;
      const literal = followVariables(this.resolver, first);
      return ts.isObjectLiteralExpression(literal) ? { router: literal, prefix: prefix + pathPrefix(this.resolver, options) } : undefined;
    }
    if (ts.isObjectLiteralExpression(expr)) {
      const method = memberValue(expr, "method");
      const path = memberValue(expr, "path");
      if (method && path) return { route: { method: (literalText(method) ?? "*").toUpperCase(), path: joinRoute(prefix, routePath(this.resolver, path)) } };
      return { router: expr, prefix };
    }
    return undefined;
  }

  /** Walk an implementation: nested router implementations by key, each route a handler. */
  implementation(
    expression: ts.Expression,
    contract: Contract | undefined,
    keyPath: string,
    middleware: HandlerEntry[],
    out: HandlerCandidate[],
    seen: Set<string>,
    walking: Set<ts.Node>,
  ): void {
    const expr = followVariables(this.resolver, expression);
    if (walking.has(expr)) return;
    if (ts.isCallExpression(expr) && this.callKind(expr) === "build" && expr.arguments[1]) {
      // A nested `s.router(contract.orders, {...})`: the outer contract names its routes; its own argument when there is none.
      const own = contract ?? this.contractOf(expr.arguments[0]!, "", new Set());
      this.implementation(expr.arguments[1], own, keyPath, middleware, out, seen, walking);
      return;
    }
    if (!ts.isObjectLiteralExpression(expr)) return;
    walking.add(expr);
    for (const property of expr.properties) {
      if (ts.isSpreadAssignment(property) || !property.name) continue;
      const key = propertyNameText(property.name);
      const path = keyPath ? `${keyPath}.${key}` : key;
      const child = contract && "router" in contract ? this.childContract(contract, key) : undefined;
      const route = this.routeImplementation(property);
      const isRoute = child ? "route" in child : route !== undefined;
      if (!isRoute) {
        const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
        if (value) this.implementation(value, child, path, middleware, out, seen, walking);
        continue;
      }
      const id = nodeKey(property.name);
      if (seen.has(id) || !route) continue;
      seen.add(id);
      const name = child && "route" in child ? `${child.route.method} ${child.route.path}` : `ts-rest ${path}`;
      const entries = [...middleware, ...route].filter((e) => e.units.length > 0);
      // The whole `key: value` starts at the key; functions written in it are then named after the handler.
      out.push({ name, framework: "ts-rest", node: ts.isPropertyAssignment(property) ? property : property.name, entries });
    }
    walking.delete(expr);
  }

  private childContract(contract: { router: ts.ObjectLiteralExpression; prefix: string }, key: string): Contract | undefined {
    const value = memberValue(contract.router, key);
    return value ? this.contractOf(value, contract.prefix, new Set()) : undefined;
  }

  /** What one route implementation runs: its function, or `{ middleware, handler }`, possibly through `s.route(route, impl)`. */
  private routeImplementation(property: ts.ObjectLiteralElementLike): HandlerEntry[] | undefined {
    if (ts.isMethodDeclaration(property)) return [methodEntry(this.resolver, property)];
    const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
    return value ? this.routeValue(value, new Set()) : undefined;
  }

  private routeValue(expression: ts.Expression, seen: Set<ts.Node>): HandlerEntry[] | undefined {
    const expr = skipOuterExpressions(expression);
    if (seen.has(expr)) return undefined;
    seen.add(expr);
    if (isFunctionNode(expr)) return [entryOf(this.resolver, expr)];
    if (ts.isObjectLiteralExpression(expr)) {
      const handler = memberValue(expr, "handler") ?? methodMember(expr, "handler");
      if (!handler) return undefined;
      const middleware = memberValue(expr, "middleware");
      const handlerEntry = ts.isMethodDeclaration(handler) ? methodEntry(this.resolver, handler) : entryOf(this.resolver, handler);
      return [...(middleware ? flattenFunctions([middleware]).map((m) => entryOf(this.resolver, m)) : []), handlerEntry];
    }
    if (ts.isCallExpression(expr)) {
      const callee = skipOuterExpressions(expr.expression);
      // `s.route(contract.orders.cancel, impl)` and `createNextRoute(route, impl)` return the implementation they are given.
      const isRoute =
        (ts.isPropertyAccessExpression(callee) && callee.name.text === "route" && originMatches(this.resolver.origins(callee.expression), SERVERS, { exports: ["initServer"], types: ["*"] })) ||
        originMatches(this.resolver.origins(callee), [NEXT], { exports: ["createNextRoute"], forms: ["value"] });
      return isRoute && expr.arguments[1] ? this.routeValue(expr.arguments[1], seen) : undefined;
    }
    if (ts.isIdentifier(expr)) {
      const init = projectInitializer(this.resolver, expr);
      if (init) return this.routeValue(init, seen);
      const entry = entryOf(this.resolver, expr);
      return entry.units.length > 0 ? [entry] : undefined;
    }
    return undefined;
  }
}

/**
 * The handlers of a NestJS controller's @ts-rest/nest methods: one per route the decorator names, or per route of the
 * decorator's router that the method's `tsRestHandler(router, { … })` implements.
 */
function nestHandlers(resolver: Resolver, model: TsRestModel, cls: ts.ClassLikeDeclaration, out: HandlerCandidate[], seen: Set<string>): void {
  const controller = (ts.getDecorators(cls) ?? []).map((d) => appliedDecorator(resolver, d, NEST_COMMON)).find((a) => a?.name === "Controller");
  if (!controller) return;
  const prefix = controllerPath(resolver, controller.args[0]);
  for (const member of cls.members) {
    if (!ts.isMethodDeclaration(member)) continue;
    const method = methodEntry(resolver, member);
    if (method.units.length === 0) continue;
    for (const decorator of ts.getDecorators(member) ?? []) {
      const applied = appliedDecorator(resolver, decorator, NEST);
      if (!applied || !NEST_ROUTES.has(applied.name) || !applied.args[0]) continue;
      const contract = model.contractOf(applied.args[0], prefix, new Set());
      const implementations = applied.name === "TsRestHandler" ? implementationsIn(resolver, member) : [];
      if (contract && "router" in contract) {
        for (const implementation of implementations) model.implementation(implementation, contract, "", [method], out, seen, new Set());
        continue;
      }
      const name = contract ? `${contract.route.method} ${contract.route.path}` : method.units[0]!.name;
      const entries = [method, ...implementations.map((i) => entryOf(resolver, i))].filter((e) => e.units.length > 0);
      out.push({ name, framework: "ts-rest", node: decorator, entries });
    }
  }
}

/** The implementations a controller method returns: the second argument of each `tsRestHandler(contract, impl)` it calls. */
function implementationsIn(resolver: Resolver, method: ts.MethodDeclaration): ts.Expression[] {
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments[1] && originMatches(resolver.origins(node.expression), [NEST], { exports: ["tsRestHandler"], forms: ["value"] })) found.push(node.arguments[1]);
    if (!isFunctionNode(node)) ts.forEachChild(node, visit);
  };
  if (method.body) ts.forEachChild(method.body, visit);
  return found;
}

/** The export of `module` a decorator applies (a renamed import, `nest.TsRestHandler`), with its arguments. */
function appliedDecorator(resolver: Resolver, decorator: ts.Decorator, module: string): { name: string; args: readonly ts.Expression[] } | undefined {
  const expr = skipOuterExpressions(decorator.expression);
  const callee = skipOuterExpressions(ts.isCallExpression(expr) ? expr.expression : expr);
  const binding = ts.isIdentifier(callee) ? resolver.importOf(callee) : undefined;
  const origins = binding ? [binding] : resolver.origins(callee).filter((o) => o.form === "value");
  const origin = origins.find((o) => o.module === module);
  return origin && { name: origin.path, args: ts.isCallExpression(expr) ? expr.arguments : [] };
}

/** The path `@Controller("v1")` or `@Controller({ path: "v1" })` puts before its routes: `/v1`, or "" for none. */
function controllerPath(resolver: Resolver, argument: ts.Expression | undefined): string {
  const expr = argument && followVariables(resolver, argument);
  const path = expr && ts.isObjectLiteralExpression(expr) ? memberValue(expr, "path") : expr;
  const text = path ? routePath(resolver, path) : "";
  return text === "" || joinRoute(text) === "/" ? "" : joinRoute(text);
}

/** `{ pathPrefix: "/api" }` → `/api`. */
function pathPrefix(resolver: Resolver, options: ts.Expression | undefined): string {
  const literal = options && followVariables(resolver, options);
  if (!literal || !ts.isObjectLiteralExpression(literal)) return "";
  const value = memberValue(literal, "pathPrefix");
  return value ? routePath(resolver, value) : "";
}

/** The value an object literal gives a key (`key: value` or shorthand `key`). */
function memberValue(literal: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const property of literal.properties) {
    if (!property.name || propertyNameText(property.name) !== key) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
  }
  return undefined;
}

function methodEntry(resolver: Resolver, method: ts.MethodDeclaration): HandlerEntry {
  const unit = resolver.index.unitOf(method);
  return { units: unit ? [unit] : [] };
}

function methodMember(literal: ts.ObjectLiteralExpression, key: string): ts.MethodDeclaration | undefined {
  return literal.properties.find((p): p is ts.MethodDeclaration => ts.isMethodDeclaration(p) && propertyNameText(p.name) === key);
}
