// Kafka (kafkajs): one handler per topic a consumer subscribes to, running the eachMessage or eachBatch function given to consumer.run().
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { nameText, receivedIn, written, type NameText } from "./caller-values.js";

const MODULES = ["kafkajs"];
const HANDLER_OPTIONS = ["eachMessage", "eachBatch"];

export const kafkajs: HandlerFinder = {
  framework: "kafkajs",
  title: "Kafka (kafkajs)",
  modules: MODULES,
  describe:
    "`consumer.run({ eachMessage | eachBatch })` on a consumer made by `kafka.consumer()` (or typed `Consumer`). One handler per topic the same consumer `subscribe()`s to (`topic` or `topics`; a topic that is not a literal or a const is `*`, as is a consumer whose subscriptions are not found), named `kafka <topic>` and located at the `run(` call.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const isConsumer = (e: ts.Expression): boolean => originMatches(resolver.origins(e), MODULES, { exports: ["Kafka", "Consumer"], types: ["Consumer"] });
    const topicsByConsumer = new Map<string, NameText[]>();
    const runs: { call: ts.CallExpression; consumer: string | undefined }[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["subscribe", "run"]))) {
      if (!isConsumer(callee.expression)) continue;
      const consumer = consumerKey(resolver, callee.expression);
      if (callee.name.text === "run") {
        runs.push({ call, consumer });
      } else if (consumer) {
        topicsByConsumer.set(consumer, [...(topicsByConsumer.get(consumer) ?? []), ...subscribedTopics(resolver, call.arguments[0])]);
      }
    }
    const out: HandlerCandidate[] = [];
    for (const { call, consumer } of runs) {
      const entries = handlerEntries(resolver, call.arguments[0]);
      if (entries.length === 0) continue;
      const topics = (consumer && topicsByConsumer.get(consumer)) || [];
      for (const topic of new Map((topics.length > 0 ? topics : [written("*")]).map((t) => [t.text, t])).values()) {
        out.push({ name: `kafka ${topic.text}`, framework: "kafkajs", node: call, entries, job: true, placeholders: topic.placeholders });
      }
    }
    return out;
  },
};

/** The consumer a `subscribe` or `run` is called on: the variable, property or parameter holding it. */
function consumerKey(resolver: Resolver, receiver: ts.Expression): string | undefined {
  const expr = skipOuterExpressions(receiver);
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    return declaration ? nodeKey(declaration) : undefined;
  }
  return undefined;
}

/** `{ topic }` or `{ topics: [...] }`; a RegExp or computed topic is `*`. */
function subscribedTopics(resolver: Resolver, argument: ts.Expression | undefined): NameText[] {
  const subscription = objectLiteralOf(resolver, argument);
  if (!subscription) return [written("*")];
  const topics: NameText[] = [];
  for (const property of subscription.properties) {
    const value = propertyValue(property);
    if (!value) continue;
    const name = propertyNameText(property.name!);
    if (name === "topic") topics.push(nameText(resolver, value));
    if (name === "topics") {
      const list = arrayLiteralOf(resolver, value);
      topics.push(...(list ? list.elements.map((e) => nameText(resolver, e)) : [written("*")]));
    }
  }
  return topics.length > 0 ? topics : [written("*")];
}

/** The eachMessage / eachBatch functions of a run config: inline, a reference, or a method of the config object. */
function handlerEntries(resolver: Resolver, argument: ts.Expression | undefined): HandlerEntry[] {
  const config = objectLiteralOf(resolver, argument);
  if (!config) return [];
  const entries: HandlerEntry[] = [];
  for (const property of config.properties) {
    if (!property.name || !HANDLER_OPTIONS.includes(propertyNameText(property.name))) continue;
    if (ts.isMethodDeclaration(property)) {
      const unit = resolver.index.unitOf(property);
      if (unit) entries.push({ units: [unit] });
      continue;
    }
    const value = propertyValue(property);
    if (!value) continue;
    const entry = entryOf(resolver, value);
    // A function only a helper's caller supplies is kept for the caller to fill in (forwarded.ts).
    if (entry.units.length > 0 || receivedIn(resolver, value).length > 0) entries.push(entry);
  }
  return entries;
}

function propertyValue(property: ts.ObjectLiteralElementLike): ts.Expression | undefined {
  if (ts.isPropertyAssignment(property)) return property.initializer;
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return undefined;
}

/** An object literal written in place or bound to a variable. */
function objectLiteralOf(resolver: Resolver, expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  const value = initializerOf(resolver, expression);
  return value && ts.isObjectLiteralExpression(value) ? value : undefined;
}

function arrayLiteralOf(resolver: Resolver, expression: ts.Expression): ts.ArrayLiteralExpression | undefined {
  const value = initializerOf(resolver, expression);
  return value && ts.isArrayLiteralExpression(value) ? value : undefined;
}

function initializerOf(resolver: Resolver, expression: ts.Expression | undefined): ts.Expression | undefined {
  if (!expression) return undefined;
  const expr = skipOuterExpressions(expression);
  if (!ts.isIdentifier(expr)) return expr;
  const declaration = resolver.declarationsOf(expr)[0];
  return declaration && ts.isVariableDeclaration(declaration) && declaration.initializer ? skipOuterExpressions(declaration.initializer) : expr;
}
