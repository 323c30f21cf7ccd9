// The contract every framework module fulfils: find the handlers a project registers, with the functions that run for each.
import { ts } from "ts-morph";
import type { CodeIndex } from "../scan/code-index.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";

/** A handler as a framework registers it: its name, where it is registered, and what runs per request, in order. */
export interface HandlerCandidate {
  /** `METHOD /full/path`, `Class.method`, or `<framework> <queue or topic>[/<job>]`. */
  name: string;
  framework: string;
  /** The registration call, decorator or exported name: where the handler is reported. */
  node: ts.Node;
  /** Middleware, guards, interceptors and finally the handler itself, in the order they run. */
  entries: HandlerEntry[];
}

export interface HandlerEntry {
  /** The expression naming what runs (a function, a reference, a factory call), when there is one. */
  expression?: ts.Expression;
  units: FunctionUnit[];
}

export interface FinderContext {
  index: CodeIndex;
  resolver: Resolver;
  /** Modules imported anywhere in the analysed code. */
  importedModules: ReadonlySet<string>;
}

export interface HandlerFinder {
  /** Framework id written to `handler.framework`. */
  framework: string;
  title: string;
  /** Import specifiers that enable this finder; it is skipped when the project imports none of them. */
  modules: string[];
  /** How handlers are found and named (documentation). */
  describe: string;
  find(context: FinderContext): HandlerCandidate[];
}

/**
 * The functions an entry expression runs: an inline function, a reference to one, or a factory call
 * (`transaction()`, `auth({ role })`) whose returned function is the middleware.
 */
export function entryOf(resolver: Resolver, expression: ts.Expression): HandlerEntry {
  const expr = skipOuterExpressions(expression);
  if (ts.isCallExpression(expr)) {
    const units: FunctionUnit[] = [];
    for (const factory of resolver.functionTargets(expr.expression)) units.push(...returnedFunctions(resolver, factory));
    return { expression, units };
  }
  return { expression, units: resolver.functionTargets(expr) };
}

function returnedFunctions(resolver: Resolver, factory: FunctionUnit): FunctionUnit[] {
  const body = factory.node.body;
  if (!body) return [];
  if (!ts.isBlock(body)) return isFunctionNode(skipOuterExpressions(body)) ? resolver.functionTargets(body) : [];
  const found: FunctionUnit[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) found.push(...resolver.functionTargets(node.expression));
    if (!isFunctionNode(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** The text of a string literal or a template whose substitutions are written as `*`. */
export function literalText(expression: ts.Expression | undefined): string | undefined {
  if (!expression) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteralLike(expr)) return expr.text;
  if (ts.isTemplateExpression(expr)) return expr.head.text + expr.templateSpans.map((s) => "*" + s.literal.text).join("");
  return undefined;
}

/** Join route prefixes: `/api` + `/orders/` + `:id` → `/api/orders/:id`. */
export function joinRoute(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => p !== undefined && p !== "")
    .map((p) => p.replace(/^\/+|\/+$/g, ""))
    .filter((p) => p !== "")
    .join("/");
  return "/" + joined;
}
