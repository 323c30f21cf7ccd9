// RabbitMQ (amqplib): one handler per `channel.consume(queue, onMessage)` on a channel of an amqplib connection.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { nameText, receivedIn, written, type NameText } from "./caller-values.js";

const MODULES = ["amqplib", "amqplib/callback_api"];

export const amqplib: HandlerFinder = {
  framework: "amqplib",
  title: "RabbitMQ (amqplib)",
  modules: MODULES,
  describe:
    "`channel.consume(queue, onMessage)` on a channel made from an amqplib connection (`(await amqp.connect(url)).createChannel()`, the callback API, or typed `Channel` / `ConfirmChannel`). Named `amqp <queue>`: a literal or const, or the name given to the `assertQueue` whose result is consumed; `*` otherwise (a server-named queue included). Located at the `consume(` call.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["consume"]))) {
      const [queue, onMessage] = call.arguments;
      if (!onMessage) continue;
      // Everything an amqplib connection makes is derived from the module; only channels have consume().
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["*"], types: ["Channel", "ConfirmChannel"] })) continue;
      const entry = entryOf(resolver, onMessage);
      // A function only a helper's caller supplies is kept for the caller to fill in (forwarded.ts).
      if (entry.units.length === 0 && receivedIn(resolver, onMessage).length === 0) continue;
      const name = queueName(resolver, queue, 0);
      out.push({ name: `amqp ${name.text}`, framework: "amqplib", node: call, entries: [entry], job: true, placeholders: name.placeholders });
    }
    return out;
  },
};

/** The queue a consume names: written directly, or the queue an `assertQueue(name)` call returned (`q.queue`, `{ queue }`). */
function queueName(resolver: Resolver, expression: ts.Expression | undefined, depth: number): NameText {
  if (!expression || depth > 4) return written("*");
  const direct = nameText(resolver, expression);
  if (direct.text !== "*") return direct.text ? direct : written("*");
  const expr = skipOuterExpressions(expression);
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return direct;
  const declaration = resolver.declarationsOf(expr)[0];
  let reply: ts.Expression | undefined;
  if (declaration && ts.isBindingElement(declaration) && ts.isVariableDeclaration(declaration.parent.parent)) {
    const name = declaration.propertyName ?? declaration.name;
    if (ts.isIdentifier(name) && name.text === "queue") reply = declaration.parent.parent.initializer;
  } else if (ts.isPropertyAccessExpression(expr) && expr.name.text === "queue") {
    const holder = resolver.declarationsOf(expr.expression)[0];
    if (holder && ts.isVariableDeclaration(holder)) reply = holder.initializer;
  } else if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) {
    return queueName(resolver, declaration.initializer, depth + 1);
  }
  const call = reply && skipOuterExpressions(reply);
  if (!call || !ts.isCallExpression(call)) return direct;
  const method = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(method) || method.name.text !== "assertQueue") return direct;
  return queueName(resolver, call.arguments[0], depth + 1);
}
