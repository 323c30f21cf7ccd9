// restify: routes on servers made by createServer(), and on the server parameter of the functions they are passed to, with the server's pre() and use() handlers.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { flattenFunctions, routePath } from "./route-tree.js";

const MODULES = ["restify"];
const METHODS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", del: "DELETE", head: "HEAD", opts: "OPTIONS" };
const REGISTRATIONS = new Set([...Object.keys(METHODS), "pre", "use"]);
/** Methods that return the server they are called on. */
const CHAINABLE = new Set(["pre", "use"]);

interface Server {
  routes: { method: string; path: string; call: ts.CallExpression; handlers: ts.Expression[] }[];
  /** pre() handlers run before routing, use() handlers after it: both for every route, whenever registered. */
  pre: ts.Expression[];
  use: ts.Expression[];
}

export const restify: HandlerFinder = {
  framework: "restify",
  title: "restify",
  modules: MODULES,
  describe:
    "`server.get|post|put|patch|del|head|opts(path | { path, version }, …handlers)` on servers made by `restify.createServer()`, also on the server parameter of a project function the server is passed to (`registerRoutes(server)`); handler arrays are flattened in order. `server.pre()` then `server.use()` handlers run before every route's own handlers, whether registered before or after it (restify keeps one pre and one use chain per server). Named `METHOD /path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    const isServer = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(e), MODULES, { exports: ["createServer", "default.createServer", "Server", "default.Server"], types: ["Server"], forms: ["instance"] });
    /** Parameters a server is passed to, with the declarations of what they receive. */
    const received = new Map<string, Set<string>>();
    const declarationKey = (e: ts.Expression): string | undefined => {
      const declaration = resolver.declarationsOf(e)[0];
      return declaration && nodeKey(declaration);
    };
    const isServerValue = (e: ts.Expression): boolean => {
      const key = declarationKey(e);
      return key !== undefined && (received.has(key) || isServer(e));
    };
    /** The servers a declaration stands for: itself, or what its parameter receives. */
    const serversOf = (key: string, seen = new Set<string>([key])): string[] => {
      const passed = received.get(key);
      if (!passed) return [key];
      return [...passed].filter((k) => !seen.has(k)).flatMap((k) => serversOf(k, seen.add(k)));
    };

    // A server passed to a project function (`registerOrderRoutes(server)`) is that function's parameter too.
    for (let grown = true; grown; ) {
      grown = false;
      for (const scan of index.files) {
        for (const { node: call } of scan.calls) {
          if (!ts.isCallExpression(call)) continue;
          call.arguments.forEach((arg, position) => {
            const expr = skipOuterExpressions(arg);
            if (!ts.isIdentifier(expr) || !isServerValue(expr)) return;
            const argumentKey = declarationKey(expr)!;
            for (const unit of resolver.functionTargets(call.expression)) {
              const parameter = unit.node.parameters[position];
              if (!parameter || !ts.isIdentifier(parameter.name)) continue;
              const key = nodeKey(parameter);
              const passed = received.get(key) ?? new Set<string>();
              if (passed.has(argumentKey) || key === argumentKey) continue;
              received.set(key, passed.add(argumentKey));
              grown = true;
            }
          });
        }
      }
    }

    const servers = new Map<string, Server>();
    for (const { call, callee, method } of methodCalls(index, REGISTRATIONS)) {
      const receiver = unchained(callee.expression);
      if (!(ts.isIdentifier(receiver) || ts.isPropertyAccessExpression(receiver)) || !isServerValue(receiver)) continue;
      for (const key of serversOf(declarationKey(receiver)!)) {
        let server = servers.get(key);
        if (!server) servers.set(key, (server = { routes: [], pre: [], use: [] }));
        const args = [...call.arguments];
        if (method === "pre" || method === "use") server[method].push(...flattenFunctions(args, resolver));
        else if (args[0]) server.routes.push({ method: METHODS[method]!, path: pathOf(args[0]), call, handlers: flattenFunctions(args.slice(1), resolver) });
      }
    }

    const out: HandlerCandidate[] = [];
    for (const key of [...servers.keys()].sort()) {
      const server = servers.get(key)!;
      const chain = [...server.pre, ...server.use].map((e) => entryOf(resolver, e));
      for (const route of server.routes) {
        const entries: HandlerEntry[] = [...chain, ...route.handlers.map((e) => entryOf(resolver, e))].filter((e) => e.units.length > 0);
        out.push({ name: `${route.method} ${route.path}`, framework: "restify", node: route.call, entries });
      }
    }
    return out;

    /** A route's path: a string, or the `path` (or `url`) of a route options object. */
    function pathOf(expression: ts.Expression): string {
      const expr = skipOuterExpressions(expression);
      if (!ts.isObjectLiteralExpression(expr)) return routePath(resolver, expr);
      const property = expr.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ["path", "url"].includes(propertyNameText(p.name)));
      return property ? routePath(resolver, property.initializer) : "*";
    }
  },
};

/** The server at the base of a `server.pre(a).use(b)` chain. */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && CHAINABLE.has(expr.expression.name.text)) expr = skipOuterExpressions(expr.expression.expression);
  return expr;
}
