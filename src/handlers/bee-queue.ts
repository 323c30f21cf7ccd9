// Bee-Queue: one handler per `queue.process([concurrency,] handler)` on a queue made by `new Queue(name)`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { methodCalls, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const MODULES = ["bee-queue"];

export const beeQueue: HandlerFinder = {
  framework: "bee-queue",
  title: "Bee-Queue",
  modules: MODULES,
  describe:
    "`queue.process(handler)` and `queue.process(concurrency, handler)` on a queue made by `new Queue(name)` from `bee-queue`, named `bee-queue <queue>` (the name read where the queue is made, through variables and properties; `*` when it is not a literal or a constant) and located at the `process(` call.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["process"]))) {
      if (call.arguments.length === 0) continue;
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["default"], types: ["BeeQueue"] })) continue;
      const handler = call.arguments[call.arguments.length - 1]!;
      const queues = [...new Set(queueNames(resolver, callee.expression, 0))];
      for (const queue of queues.length > 0 ? queues : ["*"]) out.push({ name: `bee-queue ${queue}`, framework: "bee-queue", node: call, entries: wrappedEntries(resolver, handler), job: true });
    }
    return out;
  },
};

/** The names of the queues an expression may hold: where it is made by `new Queue(name)`, following variables and properties. */
function queueNames(resolver: Resolver, expression: ts.Expression, depth: number): string[] {
  if (depth > 6) return [];
  const expr = skipOuterExpressions(expression);
  if (ts.isNewExpression(expr)) {
    return originMatches(resolver.origins(expr.expression), MODULES, { exports: ["default"], forms: ["value"] }) ? [routePath(resolver, expr.arguments?.[0])] : [];
  }
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return [];
  return resolver.declarationsOf(expr).flatMap((declaration) => {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return [];
    const isHolder = ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration);
    return isHolder && declaration.initializer ? queueNames(resolver, declaration.initializer, depth + 1) : [];
  });
}
