// Koa with @koa/router: routes on Routers (prefixes, named routes), nested with router.use(), mounted on a Koa app with app.use(router.routes()), apps mounted in apps with koa-mount.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { nameText, written, type NameText } from "./caller-values.js";
import { joinRoute, literalText, type FinderContext, type HandlerFinder } from "./finder.js";
import { flattenFunctions, isPathArgument, RouteTree, routePath } from "./route-tree.js";

const ROUTER_MODULES = ["@koa/router", "koa-router"];
const APP_MODULES = ["koa"];
const MOUNT_MODULES = ["koa-mount"];
const METHODS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", delete: "DELETE", del: "DELETE", head: "HEAD", options: "OPTIONS", all: "ALL" };
/** Router methods that hand the router to a Koa `use()` as one middleware. */
const MOUNTERS = new Set(["routes", "middleware"]);

export const koa: HandlerFinder = {
  framework: "koa",
  title: "Koa (@koa/router)",
  modules: [...APP_MODULES, ...ROUTER_MODULES, ...MOUNT_MODULES],
  describe:
    "`router.METHOD([name,] path, …middleware)`, `router[verb](path, …middleware)` (a method that is not written is `*` unless a helper's caller supplies it) and `router.register(path, [methods], middleware)` on `new Router({ prefix })`, one handler per path of an array; `router.use([path,] child.routes())` nests Routers and `app.use(router.routes())` mounts them on a `new Koa()` app; `app.use(mount([prefix,] childApp))` (koa-mount) mounts an app in an app, prefixes joined. Middleware passed to `use()` on the app or a router runs for the routes registered after it (a middleware given to koa-mount, for those under its prefix). Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    const tree = new RouteTree(resolver, "koa");
    const isRouter = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(e), ROUTER_MODULES, { exports: ["default", "Router", "default.Router"], types: ["Router", "RouterInstance", "RouterImplementation"], forms: ["instance"] });
    const isApp = (e: ts.Expression): boolean => originMatches(resolver.origins(e), APP_MODULES, { exports: ["default"], types: ["Application"], forms: ["instance"] });
    const isNode = (e: ts.Expression): boolean => isRouter(e) || isApp(e);
    /** `mount("/api", api)` or `mount(api)` (koa-mount): what it mounts and under which prefix. */
    const mountCall = (e: ts.Expression): { prefix: string; target: ts.Expression } | undefined => {
      const expr = skipOuterExpressions(e);
      if (!ts.isCallExpression(expr) || expr.arguments.length === 0) return undefined;
      if (!originMatches(resolver.origins(expr.expression), MOUNT_MODULES, { exports: ["default"], forms: ["value"] })) return undefined;
      const [first, second] = expr.arguments;
      return second ? { prefix: routePath(resolver, first), target: second } : { prefix: "", target: first! };
    };
    /** `child.routes()` stands for the child router. */
    const mounted = (e: ts.Expression): ts.Expression => {
      const expr = skipOuterExpressions(e);
      return ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && MOUNTERS.has(expr.expression.name.text) && isRouter(expr.expression.expression)
        ? expr.expression.expression
        : e;
    };

    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (ts.isNewExpression(call)) {
          // new Router({ prefix: "/orders" })
          const holder = call.parent;
          const options = call.arguments?.[0] && skipOuterExpressions(call.arguments[0]);
          if ((ts.isVariableDeclaration(holder) || ts.isPropertyDeclaration(holder)) && options && ts.isObjectLiteralExpression(options) && isRouter(call)) {
            const prefix = options.properties.find((p) => ts.isPropertyAssignment(p) && propertyNameText(p.name) === "prefix");
            if (prefix && ts.isPropertyAssignment(prefix)) tree.router(nodeKey(holder)).ownPrefix = routePath(resolver, prefix.initializer);
          }
          continue;
        }
        if (!ts.isCallExpression(call)) continue;
        const callee = skipOuterExpressions(call.expression);
        if (ts.isElementAccessExpression(callee)) {
          // router[verb](path, …middleware): the method is a value, known where a helper is called or a route table written.
          const verb = literalText(callee.argumentExpression)?.toLowerCase();
          const receiver = unchained(callee.expression);
          if (call.arguments.length < 2 || (verb !== undefined && !(verb in METHODS)) || !isRouter(receiver)) continue;
          const key = tree.keyOf(receiver);
          if (key) addRoutes(key, [verb !== undefined ? written(METHODS[verb]!) : methodPlaceholder(callee.argumentExpression)], call.arguments[0], call, flattenFunctions(call.arguments.slice(1)));
          continue;
        }
        if (!ts.isPropertyAccessExpression(callee)) continue;
        const method = callee.name.text;
        if (!(method in METHODS) && method !== "use" && method !== "prefix" && method !== "register") continue;
        const receiver = unchained(callee.expression);
        if (!isNode(receiver)) continue;
        const key = tree.keyOf(receiver);
        if (!key) continue;
        const args = [...call.arguments];
        if (method === "prefix") {
          tree.router(key).ownPrefix = routePath(resolver, args[0]);
        } else if (method === "use") {
          const hasPath = isPathArgument(args[0]);
          const path = hasPath ? routePath(resolver, args[0]) : "";
          const middleware: ts.Expression[] = [];
          const mounts: { router: string; prefix: string }[] = [];
          for (const arg of flattenFunctions(hasPath ? args.slice(1) : args)) {
            const koaMount = mountCall(arg);
            const keys = koaMount ? tree.mountedKeys(mounted(koaMount.target), isNode) : tree.mountedKeys(mounted(arg), isRouter);
            if (keys.length > 0) mounts.push(...keys.map((router) => ({ router, prefix: koaMount?.prefix ?? "" })));
            else if (koaMount?.prefix) tree.router(key).uses.push({ path: joinRoute(path, koaMount.prefix), call, middleware: [koaMount.target], mounts: [] });
            else middleware.push(koaMount?.target ?? arg);
          }
          tree.router(key).uses.push({ path, call, middleware, mounts });
        } else if (method === "register" && isRouter(receiver)) {
          // router.register("cron.:period", ["get", "post"], [validate, handler]): the methods are data.
          const methods = skipOuterExpressions(args[1] ?? call);
          const verbs = (ts.isArrayLiteralExpression(methods) ? [...methods.elements] : [methods]).map((m) => {
            const name = literalText(m);
            return name === undefined ? methodPlaceholder(m) : written(koaMethod(name));
          });
          addRoutes(key, verbs, args[0], call, flattenFunctions(args.slice(2, 3)));
        } else if (isRouter(receiver)) {
          // router.get("order", "/orders/:id", …): a route name may come before the path.
          const named = args.length > 2 && literalText(args[0]) !== undefined && isPathArgument(args[1]);
          const pathArg = named ? args[1] : args[0];
          if (!pathArg) continue;
          addRoutes(key, [written(METHODS[method]!)], pathArg, call, flattenFunctions(args.slice(named ? 2 : 1)));
        }
      }
    }
    return tree.handlers();

    /** One route per method and per path of an array (`router.get(["/a", "/b"], …)` serves both). */
    function addRoutes(key: string, methods: NameText[], pathArg: ts.Expression | undefined, call: ts.CallExpression, functions: ts.Expression[]): void {
      const expr = pathArg && skipOuterExpressions(pathArg);
      const paths = expr && ts.isArrayLiteralExpression(expr) ? expr.elements.map((e) => nameText(resolver, e)) : [nameText(resolver, pathArg)];
      for (const method of methods) {
        for (const path of paths) tree.router(key).routes.push({ method: method.text, path: path.text, call, functions, placeholders: [...method.placeholders, ...path.placeholders] });
      }
    }
  },
};

function koaMethod(name: string): string {
  return METHODS[name.toLowerCase()] ?? name.toUpperCase();
}

function methodPlaceholder(expression: ts.Expression): NameText {
  return { text: "*", placeholders: [{ expression, format: koaMethod }] };
}

/** Router methods return the router: `router.get(…).post(…)` registers on the router at the base of the chain. */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && (expr.expression.name.text in METHODS || expr.expression.name.text === "use" || expr.expression.name.text === "prefix")) {
    expr = skipOuterExpressions(expr.expression.expression);
  }
  return expr;
}
