// Hono: routes on apps (incl. chained calls and on()), sub-apps mounted with route(), base paths from basePath(), middleware from use().
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { nameText, receivedValue, written, type NameText } from "./caller-values.js";
import { computedMethodCalls, literalText, methodCalls, wrappedEntries, type FinderContext, type HandlerFinder } from "./finder.js";
import { flattenFunctions, isPathArgument, RouteTree, routePath } from "./route-tree.js";

const MODULES = ["hono", "hono/tiny", "hono/quick"];
const METHODS = new Set(["get", "post", "put", "delete", "options", "patch", "all"]);
/** Methods that return the app they are called on, so calls chain (`app.get(…).post(…)`). */
const CHAINABLE = new Set([...METHODS, "on", "use", "route", "onError", "notFound"]);

export const hono: HandlerFinder = {
  framework: "hono",
  title: "Hono",
  modules: MODULES,
  describe:
    "`app.METHOD(path, …handlers)` (chained calls without a path reuse the previous one), `app[verb](path, …handlers)` and `app.on(method | methods, path | paths, …handlers)` on `new Hono()` apps; `app.route(prefix, subApp)` mounts sub-apps and `basePath(prefix)` prefixes an app, prefixes joined; a base path written `configured || '/'` (or `??`) is the literal it falls back to. `use([path,] …middleware)` runs for the routes registered after it under its path (`/x/*` covers `/x/…`). Named `METHOD /full/path`.",
  find(context: FinderContext) {
    const { resolver, index } = context;
    // Middleware is usually written through createMiddleware(fn) or factory.createHandlers(…): see through such wrappers.
    const tree = new RouteTree(resolver, "hono", (e) => wrappedEntries(resolver, e));
    const isApp = (e: ts.Expression): boolean => isHono(resolver, e, 0);
    /** One key per app however it is reached: a variable bound to a chain (`new Hono().basePath("/api").route(…)`) is the app at the chain's base. */
    const keyOf = (e: ts.Expression, depth = 0): string | undefined => {
      const base = unchained(e);
      if (!isApp(base)) return undefined;
      if (ts.isIdentifier(base) || ts.isPropertyAccessExpression(base)) {
        const declaration = resolver.declarationsOf(base)[0];
        if (!declaration) return undefined;
        const init = (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer && skipOuterExpressions(declaration.initializer);
        return init && isChained(init) && depth < 4 ? keyOf(init, depth + 1) : nodeKey(declaration);
      }
      return ts.isCallExpression(base) ? basePathKey(base) : nodeKey(base);
    };

    for (const { call, callee, method } of methodCalls(index)) {
      const args = [...call.arguments];
      if (method === "basePath") {
        basePath(call, args[0]);
        continue;
      }
      if (!METHODS.has(method) && method !== "on" && method !== "use" && method !== "route") continue;
      const key = keyOf(callee.expression);
      if (!key) continue;
      const router = tree.router(key);
      if (method === "route") {
        if (!args[1]) continue;
        const direct = keyOf(args[1]);
        const mounts = (direct ? [direct] : tree.mountedKeys(args[1], isApp)).map((child) => ({ router: child, prefix: "" }));
        router.uses.push({ path: routePath(resolver, args[0]), call, middleware: [], mounts });
      } else if (method === "use") {
        const hasPath = hasPathArgument(resolver, args);
        router.uses.push({ path: hasPath ? middlewarePath(routePath(resolver, args[0])) : "", call, middleware: flattenFunctions(hasPath ? args.slice(1) : args), mounts: [] });
      } else if (method === "on") {
        const functions = flattenFunctions(args.slice(2));
        for (const path of listOf(args[1]).map((p) => nameText(resolver, p))) {
          for (const verb of listOf(args[0]).map(methodText)) router.routes.push({ method: verb.text, path: path.text, call, functions, placeholders: [...verb.placeholders, ...path.placeholders] });
        }
      } else {
        // A path a helper receives from its caller (not a function) is a path too.
        const hasPath = hasPathArgument(resolver, args) || (args.length > 1 && receivedValue(resolver, args[0]!) !== undefined && !resolver.typeAt(args[0]!)?.getCallSignatures().length);
        const path = hasPath ? nameText(resolver, args[0]) : written(chainedPath(resolver, callee.expression) ?? "*");
        router.routes.push({ method: method.toUpperCase(), path: path.text, call, functions: flattenFunctions(hasPath ? args.slice(1) : args), placeholders: path.placeholders });
      }
    }
    // app[verb](path, …handlers): the method is a value, known where a helper is called or a route table written.
    for (const { call, receiver, key: methodKey } of computedMethodCalls(index)) {
      const verb = literalText(methodKey)?.toLowerCase();
      const key = call.arguments.length > 1 && (verb === undefined || METHODS.has(verb)) ? keyOf(receiver) : undefined;
      if (!key) continue;
      const method = methodText(methodKey);
      const path = nameText(resolver, call.arguments[0]);
      tree.router(key).routes.push({ method: method.text, path: path.text, call, functions: flattenFunctions(call.arguments.slice(1)), placeholders: [...method.placeholders, ...path.placeholders] });
    }
    return tree.handlers();

    /** `const api = new Hono().basePath("/api")` prefixes a new app; `app.basePath("/v1")` serves under an existing app. */
    function basePath(call: ts.CallExpression, prefixArg: ts.Expression | undefined): void {
      const receiver = skipOuterExpressions((call.expression as ts.PropertyAccessExpression).expression);
      const base = unchained(receiver);
      if (!isApp(base)) return;
      const key = basePathKey(call);
      const prefix = routePath(resolver, fallbackOf(prefixArg));
      const parent = ts.isNewExpression(base) ? undefined : keyOf(base);
      if (parent) tree.router(parent).uses.push({ path: prefix, call, middleware: [], mounts: [{ router: key, prefix: "" }] });
      else tree.router(key).ownPrefix = prefix;
    }
  },
};

/** A `basePath()` call makes a new app: the variable it initialises, or the call itself. */
function basePathKey(call: ts.CallExpression): string {
  let holder: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder)) holder = holder.parent;
  return (ts.isVariableDeclaration(holder) || ts.isPropertyDeclaration(holder)) && holder.initializer && skipOuterExpressions(holder.initializer) === call ? nodeKey(holder) : nodeKey(call);
}

/** `basePath(configured || "/")`: an app whose base path is configured is served under the path it falls back to unless a deployment says otherwise. */
function fallbackOf(expression: ts.Expression | undefined): ts.Expression | undefined {
  const expr = expression && skipOuterExpressions(expression);
  if (!expr || !ts.isBinaryExpression(expr)) return expression;
  const operator = expr.operatorToken.kind;
  return (operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken) && literalText(expr.right) !== undefined ? expr.right : expression;
}

function isChained(expression: ts.Expression): boolean {
  return ts.isCallExpression(expression) && ts.isPropertyAccessExpression(expression.expression) && CHAINABLE.has(expression.expression.name.text);
}

/** Whether an expression denotes a Hono app: made by `new Hono()`, possibly through `basePath()` and chained registrations. */
function isHono(resolver: Resolver, expression: ts.Expression, depth: number): boolean {
  let expr = unchained(expression);
  while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && expr.expression.name.text === "basePath") expr = unchained(expr.expression.expression);
  if (originMatches(resolver.origins(expr), MODULES, { exports: ["Hono", "default.Hono"], types: ["Hono", "HonoBase"], forms: ["instance"] })) return true;
  if (depth >= 4 || !(ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr))) return false;
  const declaration = resolver.declarationsOf(expr)[0];
  return (declaration !== undefined && (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer !== undefined && isHono(resolver, declaration.initializer, depth + 1));
}

/** The app at the base of a chain of registrations. */
function unchained(expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (isChained(expr)) expr = skipOuterExpressions(((expr as ts.CallExpression).expression as ts.PropertyAccessExpression).expression);
  return expr;
}

/** The path the nearest earlier call of a chain set, as Hono keeps it for a call without one (`use(mw)` sets `*`). */
function chainedPath(resolver: Resolver, expression: ts.Expression): string | undefined {
  for (let expr = skipOuterExpressions(expression); isChained(expr); ) {
    const call = expr as ts.CallExpression;
    const callee = call.expression as ts.PropertyAccessExpression;
    const name = callee.name.text;
    const pathArg = name === "on" ? call.arguments[1] : METHODS.has(name) || name === "use" ? call.arguments[0] : undefined;
    if (pathArg && (name === "on" || hasPathArgument(resolver, [...call.arguments]))) return routePath(resolver, pathArg);
    if (name === "use") return "*";
    expr = skipOuterExpressions(callee.expression);
  }
  return undefined;
}

function methodText(expression: ts.Expression): NameText {
  const text = literalText(expression);
  return text !== undefined ? written(text.toUpperCase()) : { text: "*", placeholders: [{ expression, format: (t) => t.toUpperCase() }] };
}

function hasPathArgument(resolver: Resolver, args: ts.Expression[]): boolean {
  return isPathArgument(args[0]) || (args.length > 1 && routePath(resolver, args[0]) !== "*");
}

/** `/posts/*` covers `/posts` and everything under it; `*` covers every path. */
function middlewarePath(path: string): string {
  return path.replace(/\/?\*$/, "");
}

function listOf(expression: ts.Expression | undefined): ts.Expression[] {
  if (!expression) return [];
  const expr = skipOuterExpressions(expression);
  return ts.isArrayLiteralExpression(expr) ? [...expr.elements] : [expression];
}
