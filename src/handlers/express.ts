// Express: routes on apps and Routers (incl. route().get() chains and middleware arrays), mounted with use(), with their middleware.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches } from "../scan/resolve.js";
import { methodCalls, type FinderContext, type HandlerFinder } from "./finder.js";
import { flattenFunctions, isPathArgument, RouteTree, routePath } from "./route-tree.js";

const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "options", "head", "all"]);
const ROUTER_METHODS = new Set([...HTTP_METHODS, "use"]);
const MODULES = ["express"];

export const express: HandlerFinder = {
  framework: "express",
  title: "Express",
  modules: MODULES,
  describe: "`app.METHOD(path, …fns)`, `router.METHOD`, `router.route(path).METHOD()` chains; `use(path?, …)` mounts Routers (joining prefixes) and adds middleware to the routes registered after it. Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    // Express's use() and METHOD() return the router they are called on, so `Router().use(a).use(b)` is one router.
    const tree = new RouteTree(resolver, "express", undefined, ROUTER_METHODS);
    const isRouter = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(tree.base(e)), MODULES, { exports: ["default", "Router", "default.Router"], types: ["Express", "Router", "Application"], forms: ["instance"] });

    for (const { call, callee, method } of methodCalls(index, ROUTER_METHODS)) {

      // router.route("/path").get(…).post(…)
      const chainRoute = routeChain(callee.expression);
      if (chainRoute && HTTP_METHODS.has(method)) {
        if (!isRouter(chainRoute.router)) continue;
        const key = tree.keyOf(chainRoute.router);
        if (!key) continue;
        tree.router(key).routes.push({ method: method.toUpperCase(), path: routePath(resolver, chainRoute.path), call, functions: flattenFunctions(call.arguments) });
        continue;
      }
      if (!isRouter(callee.expression)) continue;
      const key = tree.keyOf(callee.expression);
      if (!key) continue;
      const args = [...call.arguments];
      const hasPath = isPathArgument(args[0]) || (args.length > 1 && routePath(resolver, args[0]) !== "*");
      if (method === "use") {
        const path = hasPath ? routePath(resolver, args[0]) : "";
        const rest = flattenFunctions(hasPath ? args.slice(1) : args);
        const mounts = rest.flatMap((a) => tree.mountedKeys(a, isRouter).map((router) => ({ router, prefix: "" })));
        const middleware = rest.filter((a) => tree.mountedKeys(a, isRouter).length === 0);
        tree.router(key).uses.push({ path, call, middleware, mounts });
      } else if (hasPath) {
        tree.router(key).routes.push({ method: method.toUpperCase(), path: routePath(resolver, args[0]), call, functions: flattenFunctions(args.slice(1)) });
      }
    }
    return tree.handlers();
  },
};

/** `router.route("/x")` at the base of a `.get().post()` chain. */
function routeChain(expression: ts.Expression): { router: ts.Expression; path: ts.Expression | undefined } | undefined {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) {
    const name = expr.expression.name.text;
    if (name === "route") return { router: expr.expression.expression, path: expr.arguments[0] };
    if (!HTTP_METHODS.has(name)) return undefined;
    expr = skipOuterExpressions(expr.expression.expression);
  }
  return undefined;
}
