// LoopBack 4: controller methods decorated with @get/@post/@put/@patch/@del/@operation from @loopback/rest, under the class's @api basePath, with their @intercept interceptors.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, joinRoute, literalText, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const REST = ["@loopback/rest", "@loopback/openapi-v3"];
const CONTEXT = ["@loopback/core", "@loopback/context"];
const VERBS: Record<string, string> = { get: "GET", post: "POST", put: "PUT", patch: "PATCH", del: "DELETE" };

/** A LoopBack decorator as written on a class or method, with the module it is imported from. */
interface Applied {
  module: string;
  name: string;
  args: readonly ts.Expression[];
  decorator: ts.Decorator;
}

export const loopback: HandlerFinder = {
  framework: "loopback",
  title: "LoopBack 4",
  modules: [...REST, ...CONTEXT],
  describe:
    "Methods decorated with `@get(path)`, `@post`, `@put`, `@patch`, `@del` or `@operation(verb, path)` imported from @loopback/rest (or @loopback/openapi-v3), " +
    "under the class's `@api({ basePath })`; named `METHOD /basePath/path` with OpenAPI `{param}` written `:param`, located at the decorator's `@`. " +
    "Interceptors given as functions to `@intercept(…)` (@loopback/core or @loopback/context) run before the method, the class's first; interceptors bound by key are not followed.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const cls of scan.classes) {
        const classApplied = appliedOn(resolver, cls);
        const api = classApplied.find((a) => REST.includes(a.module) && a.name === "api");
        const basePath = api ? apiBasePath(resolver, api.args[0]) : "";
        const classInterceptors = interceptors(resolver, classApplied);
        for (const member of cls.members) {
          if (!ts.isMethodDeclaration(member)) continue;
          const unit = index.unitOf(member);
          if (!unit) continue;
          const methodApplied = appliedOn(resolver, member);
          const entries: HandlerEntry[] = [...classInterceptors, ...interceptors(resolver, methodApplied), { units: [unit] }];
          for (const applied of methodApplied) {
            if (!REST.includes(applied.module)) continue;
            const verb = applied.name === "operation" ? literalText(applied.args[0])?.toUpperCase() ?? "*" : VERBS[applied.name];
            if (!verb) continue;
            const written = applied.name === "operation" ? applied.args[1] : applied.args[0];
            out.push({ name: `${verb} ${joinRoute(basePath, openApiPath(routePath(resolver, written)))}`, framework: "loopback", node: applied.decorator, entries });
          }
        }
      }
    }
    return out;
  },
};

/** LoopBack decorators on a node, their module read from the import (so runs without node_modules agree). */
function appliedOn(resolver: Resolver, node: ts.HasDecorators): Applied[] {
  const out: Applied[] = [];
  for (const decorator of ts.getDecorators(node) ?? []) {
    const expr = skipOuterExpressions(decorator.expression);
    const callee = skipOuterExpressions(ts.isCallExpression(expr) ? expr.expression : expr);
    const args = ts.isCallExpression(expr) ? expr.arguments : [];
    const binding = ts.isIdentifier(callee) ? resolver.importOf(callee) : undefined;
    const origins = binding ? [binding] : resolver.origins(callee).filter((o) => o.form === "value");
    for (const origin of origins) {
      const module = [...REST, ...CONTEXT].find((m) => origin.module === m);
      if (module) out.push({ module, name: origin.path.replace(/^default\./, ""), args, decorator });
    }
  }
  return out;
}

/** `@intercept(log, audit)`: the interceptor functions, bound at the decorator. */
function interceptors(resolver: Resolver, applied: Applied[]): HandlerEntry[] {
  return applied
    .filter((a) => CONTEXT.includes(a.module) && a.name === "intercept")
    .flatMap((a) => a.args.map((arg) => ({ ...entryOf(resolver, arg), boundAt: a.decorator })))
    .filter((e) => e.units.length > 0);
}

/** `@api({ basePath: '/v1', paths: {} })`. */
function apiBasePath(resolver: Resolver, argument: ts.Expression | undefined): string {
  const object = argument && skipOuterExpressions(argument);
  if (!object || !ts.isObjectLiteralExpression(object)) return "";
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && propertyNameText(property.name) === "basePath") return routePath(resolver, property.initializer);
  }
  return "";
}

/** OpenAPI path templates (`/todos/{id}`) in the `:param` form route names use. */
function openApiPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}
