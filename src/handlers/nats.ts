// NATS: one handler per core subscription (`nc.subscribe(subject, …)`) and per JetStream consumer read (`consumer.consume(…)`, `consumer.fetch(…)`), running its callback or the loop over its messages.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { isFunctionNode } from "../scan/units.js";
import { methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { memberEntry, memberOf, objectOf } from "./options.js";
import { routePath } from "./route-tree.js";

const MODULES = ["nats", "@nats-io/transport-node", "@nats-io/jetstream", "nats.ws"];

export const nats: HandlerFinder = {
  framework: "nats",
  title: "NATS",
  modules: MODULES,
  describe:
    "Core NATS: `nc.subscribe(subject, opts?)` on a connection from `connect()` (and JetStream's `js.subscribe(subject, opts)`), named `nats <subject>` (a literal or const, else `*`). JetStream consumers: `consumer.consume(opts?)` and `consumer.fetch(opts?)` on a consumer from `js.consumers.get(stream, name?)`, named `nats <stream>/<consumer>` (`nats <stream>` for an ordered consumer). Located at the `subscribe(`, `consume(` or `fetch(` call. " +
    "What runs per message is the `callback` option, else the loop that iterates the subscription (`for await (const m of sub)`, over the call itself, a variable holding it, or a parameter it is passed to): its handler entry is the innermost function holding the loop, so code that function runs before or after the loop is on the handler's path too. A subscription that is neither given a callback nor iterated in the analysed code is no handler.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee, method } of methodCalls(index, new Set(["subscribe", "consume", "fetch"]))) {
      const receiver = resolver.origins(callee.expression);
      let name: string;
      let options: ts.Expression | undefined;
      if (method === "subscribe") {
        if (call.arguments.length === 0 || !originMatches(receiver, MODULES, { exports: ["*"], types: ["NatsConnection", "JetStreamClient"] })) continue;
        name = routePath(resolver, call.arguments[0]) || "*";
        options = call.arguments[1];
      } else {
        if (!originMatches(receiver, MODULES, { exports: ["*"], types: ["Consumer", "PullConsumer", "OrderedConsumer"] })) continue;
        name = consumerName(resolver, callee.expression);
        options = call.arguments[0];
      }
      const callback = memberEntry(resolver, memberOf(objectOf(resolver, options), "callback"));
      const entries = callback && callback.units.length > 0 ? [callback] : loopEntries(resolver, call);
      if (entries.length > 0) out.push({ name: `nats ${name}`, framework: "nats", node: call, entries, job: true });
    }
    return out;
  },
};

/** `<stream>/<consumer>` from the `js.consumers.get(stream, consumer)` the consumer came from. */
function consumerName(resolver: Resolver, receiver: ts.Expression): string {
  let expr = skipOuterExpressions(receiver);
  for (let depth = 0; depth < 6 && (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)); depth++) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration | ts.PropertyDeclaration => (ts.isVariableDeclaration(d) || ts.isPropertyDeclaration(d)) && d.initializer !== undefined);
    if (!declaration) return "*";
    expr = skipOuterExpressions(declaration.initializer!);
  }
  if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression) || expr.expression.name.text !== "get") return "*";
  const [stream, consumer] = expr.arguments;
  const streamName = routePath(resolver, stream) || "*";
  const literalConsumer = consumer && !ts.isObjectLiteralExpression(skipOuterExpressions(consumer));
  return literalConsumer ? `${streamName}/${routePath(resolver, consumer)}` : streamName;
}

/** The functions holding `for await` loops over a subscription: over the call, a variable holding it, or a parameter it is passed to. */
function loopEntries(resolver: Resolver, call: ts.CallExpression): HandlerEntry[] {
  const found = new Map<number, HandlerEntry>();
  const addLoopsOver = (holder: ts.Node | undefined, scope: ts.Node, direct: ts.Node | undefined): void => {
    const visit = (node: ts.Node): void => {
      if (ts.isForOfStatement(node) && node.awaitModifier) {
        const iterated = skipOuterExpressions(node.expression);
        const matches = iterated === direct || (holder !== undefined && ts.isIdentifier(iterated) && resolver.declarationsOf(iterated).includes(holder));
        const fn = matches ? ts.findAncestor(node.parent, isFunctionNode) : undefined;
        const unit = fn && resolver.index.unitOf(fn);
        if (unit) found.set(unit.id, { units: [unit] });
      }
      ts.forEachChild(node, visit);
    };
    visit(scope);
  };
  let holder: ts.Node = call;
  while (ts.isAwaitExpression(holder.parent) || ts.isParenthesizedExpression(holder.parent) || ts.isAsExpression(holder.parent)) holder = holder.parent;
  const variable = ts.isVariableDeclaration(holder.parent) && ts.isIdentifier(holder.parent.name) ? holder.parent : undefined;
  const sourceFile = call.getSourceFile();
  addLoopsOver(variable, sourceFile, call);
  if (!variable) return [...found.values()];
  // `consumeOrders(sub)`: the loop over the parameter in the function it is handed to.
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      node.arguments.forEach((argument, i) => {
        const arg = skipOuterExpressions(argument);
        if (!ts.isIdentifier(arg) || !resolver.declarationsOf(arg).includes(variable)) return;
        for (const target of resolver.functionTargets(node.expression)) {
          const parameter = target.node.parameters[i];
          if (parameter && target.node.body) addLoopsOver(parameter, target.node.body, undefined);
        }
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return [...found.values()];
}
