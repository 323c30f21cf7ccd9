// Bull (v3/v4, the predecessor of BullMQ): one handler per `queue.process([name,] [concurrency,] processor)` on a Queue made by `new Queue(name)`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { type FinderContext, type HandlerCandidate, type HandlerFinder, literalText, methodCalls, returnedExpressions, wrappedEntries } from "./finder.js";
import { concat, nameText, receivedValue, written, type NameText } from "./caller-values.js";

const MODULES = ["bull"];

/** Parameters bound to the arguments of the call being followed (a queue factory's `name`). */
type Bindings = ReadonlyMap<ts.Node, ts.Expression>;

export const bull: HandlerFinder = {
  framework: "bull",
  title: "Bull",
  modules: MODULES,
  describe:
    "`queue.process([job name,] [concurrency,] processor)` on a queue made by `new Queue(name, …)` from `bull`, followed through variables, assignments and factory functions (`createQueue(\"tasks\")`, a cached `taskQueue()` accessor). " +
    "Named `bull <queue>` or `bull <queue>/<job name>` (a queue name that is not a literal or a constant, here or in the factory's call, is `*`; so is a job name a helper receives, `addJob(name, fn)`, until its caller's value fills it in), located at the `process(` call. " +
    "The processor runs through wrappers (`traceFunction(opts)(async (job) => …)`); a processor given as a file path is a handler with no entries.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["process"]))) {
      if (call.arguments.length === 0) continue;
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["default", "Queue", "default.Queue"], types: ["Queue", "Bull.Queue"] })) continue;
      const processor = call.arguments[call.arguments.length - 1]!;
      const job = jobName(resolver, call.arguments);
      const queues = [...new Map(queueNames(resolver, callee.expression, new Map(), 0).map((q) => [q.text, q])).values()];
      const entries = isPath(processor) ? [{ expression: processor, units: [] }] : wrappedEntries(resolver, processor);
      for (const queue of queues.length > 0 ? queues : [written("*")]) {
        const name = concat([written("bull "), queue, job]);
        out.push({ name: name.text, framework: "bull", node: call, entries, job: true, placeholders: name.placeholders });
      }
    }
    return out;
  },
};

/** `/send` for `process("send", …)`; `/*` for a job name a helper receives from its caller (a concurrency is a number); nothing otherwise. */
function jobName(resolver: Resolver, args: readonly ts.Expression[]): NameText {
  const first = args.length > 1 ? args[0]! : undefined;
  const text = literalText(first);
  if (text !== undefined) return text === "*" ? written("") : written(`/${text}`);
  if (!first) return written("");
  if (!receivedValue(resolver, first)) {
    // `process(JOBS.welcome, fn)`: a const name (a const concurrency has no text).
    const constant = nameText(resolver, first);
    return constant.text !== "*" ? concat([written("/"), constant]) : written("");
  }
  const type = resolver.typeAt(first);
  return type && type.flags & ts.TypeFlags.NumberLike ? written("") : { text: "/*", placeholders: [{ expression: first }] };
}

/** A sandboxed processor: a file path, run in a child process. */
function isPath(expression: ts.Expression): boolean {
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteralLike(expr) || ts.isTemplateExpression(expr)) return true;
  return ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && ["join", "resolve"].includes(expr.expression.name.text);
}

/** The names of the queues an expression may hold: where it is made by `new Queue(name)`, following variables and factories. */
function queueNames(resolver: Resolver, expression: ts.Expression, bindings: Bindings, depth: number): NameText[] {
  if (depth > 6) return [];
  const expr = skipOuterExpressions(expression);
  if (ts.isNewExpression(expr)) {
    return originMatches(resolver.origins(expr.expression), MODULES, { exports: ["default", "Queue", "default.Queue"], forms: ["value"] })
      ? [queueName(resolver, expr.arguments?.[0], bindings, depth)]
      : [];
  }
  if (ts.isCallExpression(expr)) {
    if (isQueueFunction(resolver, expr.expression)) return [queueName(resolver, expr.arguments[0], bindings, depth)];
    return resolver.functionTargets(expr.expression).flatMap((unit) => {
      const inner = new Map(bindings);
      unit.node.parameters.forEach((parameter, i) => {
        const argument = expr.arguments[i];
        if (argument) inner.set(parameter, argument);
      });
      return returnedExpressions(unit.node).flatMap((r) => queueNames(resolver, r, inner, depth + 1));
    });
  }
  if (ts.isConditionalExpression(expr)) return [...queueNames(resolver, expr.whenTrue, bindings, depth), ...queueNames(resolver, expr.whenFalse, bindings, depth)];
  if (ts.isBinaryExpression(expr) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.EqualsToken].includes(expr.operatorToken.kind)) {
    return [...(expr.operatorToken.kind === ts.SyntaxKind.EqualsToken ? [] : queueNames(resolver, expr.left, bindings, depth)), ...queueNames(resolver, expr.right, bindings, depth)];
  }
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    return resolver.declarationsOf(expr).flatMap((declaration) => {
      if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return [];
      const bound = bindings.get(declaration);
      if (bound) return queueNames(resolver, bound, bindings, depth + 1);
      if ((ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer) return queueNames(resolver, declaration.initializer, bindings, depth + 1);
      // `let cached; … cached = createQueue("tasks")`: what is assigned to it.
      return assignments(resolver, declaration).flatMap((value) => queueNames(resolver, value, bindings, depth + 1));
    });
  }
  return [];
}

/** `Queue("emails")` called without `new` (Bull allows it). */
function isQueueFunction(resolver: Resolver, callee: ts.Expression): boolean {
  return originMatches(resolver.origins(callee), MODULES, { exports: ["default", "Queue", "default.Queue"], forms: ["value"] });
}

function queueName(resolver: Resolver, argument: ts.Expression | undefined, bindings: Bindings, depth: number): NameText {
  const expr = argument && skipOuterExpressions(argument);
  if (expr && ts.isIdentifier(expr) && depth < 8) {
    const bound = resolver.declarationsOf(expr).map((d) => bindings.get(d)).find((b) => b !== undefined);
    if (bound) return queueName(resolver, bound, bindings, depth + 1);
  }
  return nameText(resolver, argument);
}

/** Values assigned to a variable or property (`x = …`, `this.x = …`) in the file declaring it. */
function assignments(resolver: Resolver, declaration: ts.Node): ts.Expression[] {
  const name = (declaration as ts.NamedDeclaration).name;
  if (!name || !ts.isIdentifier(name)) return [];
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = skipOuterExpressions(node.left);
      const target = ts.isPropertyAccessExpression(left) ? left.name : left;
      if (ts.isIdentifier(target) && target.text === name.text && resolver.declarationsOf(left).includes(declaration)) found.push(node.right);
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration.getSourceFile());
  return found;
}
