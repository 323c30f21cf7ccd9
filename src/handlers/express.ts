// Express: routes on apps and Routers (incl. route().get() chains and middleware arrays), mounted with use(), with their middleware.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { nameText, written, type NameText } from "./caller-values.js";
import { computedMethodCalls, literalText, methodCalls, type FinderContext, type HandlerFinder } from "./finder.js";
import { flattenFunctions, isPathArgument, RouteTree, routePath } from "./route-tree.js";

const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "options", "head", "all"]);
const ROUTER_METHODS = new Set([...HTTP_METHODS, "use"]);
/** What a Router's own code does with it without handing it on: registrations. */
const REGISTRATIONS = new Set([...ROUTER_METHODS, "route", "param"]);
const MODULES = ["express"];

export const express: HandlerFinder = {
  framework: "express",
  title: "Express",
  modules: MODULES,
  describe: "`app.METHOD(path, …fns)`, `router.METHOD`, `router.route(path).METHOD()` chains; `use(path?, …)` mounts Routers (joining prefixes) and adds middleware to the routes and Routers registered after it; arrays of middleware and Routers, nested or not, count in order. A method chosen by a value (`router[verb](path, …)`) and a path that is not a literal or a const (a helper's parameter, a table's field, a RegExp) are `*` unless a helper's caller or a route table supplies them. Named `METHOD /full/path`. A Router nothing mounts is reported without a prefix when it is exported or handed on (code outside the analysed tree may mount it); one held in a local variable that is neither, in a project that makes an `express()` app, is dead code and its routes are not handlers.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    // Express's use() and METHOD() return the router they are called on, so `Router().use(a).use(b)` is one router.
    const tree = new RouteTree(resolver, "express", undefined, ROUTER_METHODS);
    // What made each router (its creating call, or the name it is received by), to tell a Router nothing serves.
    const made = new Map<string, ts.Expression>();
    const keyOf = (e: ts.Expression): string | undefined => {
      const key = tree.keyOf(e);
      if (key !== undefined && !made.has(key)) made.set(key, tree.base(e));
      return key;
    };
    let app: boolean | undefined;
    const makesApp = ({ node }: { node: ts.Node }): boolean => ts.isCallExpression(node) && originMatches(resolver.origins(node.expression), MODULES, { exports: ["default", ""], forms: ["value"] });
    const hasApp = (): boolean => (app ??= index.files.some((scan) => scan.calls.some(makesApp)));
    const isRouter = (e: ts.Expression): boolean =>
      originMatches(resolver.origins(tree.base(e)), MODULES, { exports: ["default", "Router", "default.Router"], types: ["Express", "Router", "Application"], forms: ["instance"] });

    for (const { call, callee, method } of methodCalls(index, ROUTER_METHODS)) {

      // router.route("/path").get(…).post(…)
      const chainRoute = routeChain(callee.expression);
      if (chainRoute && HTTP_METHODS.has(method)) {
        if (!isRouter(chainRoute.router)) continue;
        const key = keyOf(chainRoute.router);
        if (!key) continue;
        const path = nameText(resolver, chainRoute.path);
        tree.router(key).routes.push({ method: method.toUpperCase(), path: path.text, call, functions: flattenFunctions(call.arguments, resolver), placeholders: path.placeholders });
        continue;
      }
      if (!isRouter(callee.expression)) continue;
      const key = keyOf(callee.expression);
      if (!key) continue;
      const args = [...call.arguments];
      const hasPath = isPathArgument(args[0]) || (args.length > 1 && routePath(resolver, args[0]) !== "*");
      if (method === "use") {
        const path = hasPath ? routePath(resolver, args[0]) : "";
        // One use() is a run of layers, nested arrays flattened: a middleware before a router runs for it and, like any middleware, for what is registered later.
        let middleware: ts.Expression[] = [];
        for (const arg of flattenFunctions(hasPath ? args.slice(1) : args, resolver)) {
          const mounted = tree.mountedKeys(arg, isRouter);
          if (mounted.length === 0) {
            middleware.push(arg);
            continue;
          }
          tree.router(key).uses.push({ path, call, middleware, mounts: [] }, { path, call, middleware: [], mounts: mounted.map((router) => ({ router, prefix: "" })) });
          middleware = [];
        }
        tree.router(key).uses.push({ path, call, middleware, mounts: [] });
      } else if (hasPath || args.length > 1) {
        // A route's first argument is its path, whether written there or received from a helper's caller.
        addRoute(key, written(method.toUpperCase()), call);
      }
    }
    // router[verb](path, …fns): the method is a value, known where a helper is called or a route table written.
    for (const { call, receiver, key: methodKey } of computedMethodCalls(index)) {
      const verb = literalText(methodKey)?.toLowerCase();
      if (call.arguments.length < 2 || (verb !== undefined && !HTTP_METHODS.has(verb)) || !isRouter(receiver)) continue;
      const key = keyOf(receiver);
      if (key) addRoute(key, verb !== undefined ? written(verb.toUpperCase()) : { text: "*", placeholders: [{ expression: methodKey, format: (t) => t.toUpperCase() }] }, call);
    }
    return tree.handlers((root) => !unservedRouter(resolver, made.get(root.key), hasApp));

    function addRoute(key: string, method: NameText, call: ts.CallExpression): void {
      const path = nameText(resolver, call.arguments[0]);
      tree.router(key).routes.push({ method: method.text, path: path.text, call, functions: flattenFunctions(call.arguments.slice(1), resolver), placeholders: [...method.placeholders, ...path.placeholders] });
    }
  },
};

/**
 * A Router (`Router()`, `express.Router()`) held in a local variable that nothing mounts, exports or hands on, in a project
 * that makes its own app (`express()`): nothing serves its routes. A Router that is exported or passed anywhere may be
 * mounted by code outside the analysed tree or dynamically, so its routes are kept.
 */
function unservedRouter(resolver: Resolver, made: ts.Expression | undefined, hasApp: () => boolean): boolean {
  if (!made || (!ts.isCallExpression(made) && !ts.isNewExpression(made))) return false;
  if (!originMatches(resolver.origins(made.expression), MODULES, { exports: ["Router", "default.Router"], forms: ["value"] })) return false;
  // From the creating call up its registration chain (`Router().get(…).post(…)`) to where the router goes.
  let top: ts.Node = made;
  while (ts.isParenthesizedExpression(top.parent) || ts.isAsExpression(top.parent) || ts.isNonNullExpression(top.parent) || (ts.isPropertyAccessExpression(top.parent) && top.parent.expression === top) || (ts.isCallExpression(top.parent) && top.parent.expression === top)) top = top.parent;
  const variable = top.parent;
  if (!ts.isVariableDeclaration(variable) || !ts.isIdentifier(variable.name)) return false;
  const statement = variable.parent.parent;
  if (ts.isVariableStatement(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return false;
  return !handedOn(resolver, variable, variable.name.text) && hasApp();
}

/** Whether a variable is used other than for its own registrations (`router.get(…)`): exported, mounted, passed, returned, stored. */
function handedOn(resolver: Resolver, variable: ts.VariableDeclaration, name: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && node.text === name && node !== variable.name && resolver.declarationsOf(node).includes(variable)) {
      const parent = node.parent;
      if (!(ts.isPropertyAccessExpression(parent) && parent.expression === node && REGISTRATIONS.has(parent.name.text))) found = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(variable.getSourceFile());
  return found;
}

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
