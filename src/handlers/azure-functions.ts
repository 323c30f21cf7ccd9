// Azure Functions (v4 programming model): functions registered on `app` from @azure/functions, with the app's invocation hooks.
import { parse as parseJsonc } from "jsonc-parser";
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, joinRoute, literalText, methodCalls, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";
import { memberNamed, ProjectFiles, propertyEntries } from "./serverless.js";

const MODULES = ["@azure/functions"];
/** HTTP shortcuts and the methods they register. */
const HTTP_SHORTCUTS = new Map([["get", "GET"], ["put", "PUT"], ["post", "POST"], ["patch", "PATCH"], ["deleteRequest", "DELETE"]]);
const TRIGGERS = new Set([
  "timer", "storageBlob", "storageQueue", "serviceBusQueue", "serviceBusTopic", "eventHub", "eventGrid", "cosmosDB", "connectorTrigger",
  "warmup", "sql", "mySql", "generic", "webPubSub", "mcpTool", "mcpResource", "mcpPrompt",
]);
const REGISTRATIONS = new Set(["http", ...HTTP_SHORTCUTS.keys(), ...TRIGGERS]);
/** What the runtime uses when an http function is registered without `methods`. */
const DEFAULT_METHODS = ["GET", "POST"];
const DEFAULT_ROUTE_PREFIX = "api";

export const azureFunctions: HandlerFinder = {
  framework: "azure-functions",
  title: "Azure Functions",
  modules: MODULES,
  describe:
    "The v4 programming model's registrations on `app` from @azure/functions. `app.http(name, { methods, route, handler })` is named `METHOD /<routePrefix>/<route>` for each method (GET and POST when `methods` is absent), the route defaulting to the function name, `{id}` and `{id:int}` written `:id`, `{*rest}` written `*`, the prefix `api` unless host.json's `extensions.http.routePrefix` says otherwise (the nearest host.json above the file); `app.get|put|post|patch|deleteRequest(name, handler | options)` register one method. Other triggers (`app.timer`, `app.storageQueue`, `app.serviceBusQueue`, `app.eventHub`, `app.cosmosDB`, …) are named `azure <trigger> <name>`. Located at the registration call; the app's `app.hook.preInvocation(fn)` hooks run before every function and `postInvocation` hooks after it.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const files = new ProjectFiles(index);
    const isApp = (e: ts.Expression): boolean => originMatches(resolver.origins(e), MODULES, { exports: ["app"], types: ["app"], forms: ["value"] });
    const before: HandlerEntry[] = [];
    const after: HandlerEntry[] = [];
    const registrations: { call: ts.CallExpression; method: string }[] = [];
    for (const { call, callee, method } of methodCalls(index, new Set([...REGISTRATIONS, "preInvocation", "postInvocation"]))) {
      const receiver = skipOuterExpressions(callee.expression);
      if (REGISTRATIONS.has(method)) {
        if (isApp(receiver)) registrations.push({ call, method });
      } else if (ts.isPropertyAccessExpression(receiver) && receiver.name.text === "hook" && isApp(receiver.expression)) {
        const entry = call.arguments[0] && entryOf(resolver, call.arguments[0]);
        if (entry && entry.units.length > 0) (method === "preInvocation" ? before : after).push(entry);
      }
    }
    const out: HandlerCandidate[] = [];
    for (const { call, method } of registrations) {
      const name = call.arguments[0] ? routePath(resolver, call.arguments[0]) : "*";
      const second = call.arguments[1];
      const options = second && objectOf(resolver, second);
      const entries = [...before, ...handlerEntries(resolver, options ?? second), ...after];
      if (TRIGGERS.has(method)) {
        out.push({ name: `azure ${method} ${name}`, framework: "azure-functions", node: call, entries });
        continue;
      }
      const route = joinRoute(routePrefix(files, call.getSourceFile().fileName), routeTemplate(resolver, options ? property(options, "route") : undefined, name));
      const methods = method === "http" ? httpMethods(resolver, options && property(options, "methods")) : [HTTP_SHORTCUTS.get(method)!];
      for (const verb of methods) out.push({ name: `${verb} ${route}`, framework: "azure-functions", node: call, entries });
    }
    return out;
  },
};

/** An options object written in place or through a constant. */
function objectOf(resolver: Resolver, expression: ts.Expression): ts.ObjectLiteralExpression | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (!ts.isIdentifier(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  const init = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && skipOuterExpressions(declaration.initializer);
  return init && ts.isObjectLiteralExpression(init) ? init : undefined;
}

/** What a registration runs: the options' `handler` (a property or a method), or the handler passed in place of options. */
function handlerEntries(resolver: Resolver, handler: ts.Expression | undefined): HandlerEntry[] {
  if (!handler) return [];
  return ts.isObjectLiteralExpression(handler) ? propertyEntries(resolver, memberNamed(handler, "handler")) : wrappedEntries(resolver, handler).filter((e) => e.units.length > 0);
}

function property(options: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const p of options.properties) {
    if (!p.name || propertyNameText(p.name) !== key) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function httpMethods(resolver: Resolver, expression: ts.Expression | undefined): string[] {
  if (!expression) return DEFAULT_METHODS;
  let expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) expr = skipOuterExpressions(declaration.initializer);
  }
  if (!ts.isArrayLiteralExpression(expr)) return ["*"];
  return expr.elements.map((m) => (literalText(m) ?? "*").toUpperCase());
}

/** The route template in the handler-name syntax: `orders/{id:int}` → `orders/:id`, `{*rest}` → `*`; the function name when no route is given. */
function routeTemplate(resolver: Resolver, route: ts.Expression | undefined, name: string): string {
  const template = route ? routePath(resolver, route) : name;
  return template.replace(/\{\*[^}]*\}/g, "*").replace(/\{([A-Za-z_][\w]*)[^}]*\}/g, ":$1");
}

/** host.json's `extensions.http.routePrefix` (possibly empty), else `api`. */
function routePrefix(files: ProjectFiles, fileName: string): string {
  const host = files.nearest(fileName, ["host.json"]);
  const text = host ? files.text(host) : undefined;
  const prefix = text ? (parseJsonc(text) as { extensions?: { http?: { routePrefix?: unknown } } } | undefined)?.extensions?.http?.routePrefix : undefined;
  return typeof prefix === "string" ? prefix : DEFAULT_ROUTE_PREFIX;
}
