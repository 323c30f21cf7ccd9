// Amazon SQS: sqs-consumer's `Consumer.create({ queueUrl, handleMessage })`, and hand-rolled `ReceiveMessageCommand` poll loops whose messages go to project functions.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText, type FunctionUnit } from "../scan/units.js";
import { entryOf, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const CONSUMER_MODULES = ["sqs-consumer"];
const CLIENT_MODULES = ["@aws-sdk/client-sqs"];
const ITERATING_METHODS = new Set(["map", "forEach", "flatMap", "filter", "some", "every", "reduce"]);

export const sqs: HandlerFinder = {
  framework: "sqs",
  title: "Amazon SQS (sqs-consumer, @aws-sdk/client-sqs)",
  modules: [...CONSUMER_MODULES, ...CLIENT_MODULES],
  describe:
    "sqs-consumer: `Consumer.create({ queueUrl, handleMessage | handleMessageBatch })` (or `new Consumer`), located at the call. @aws-sdk/client-sqs: `sqsClient.send(new ReceiveMessageCommand({ QueueUrl }))` in a poll loop, located at `new ReceiveMessageCommand`; the handler runs the project functions that the received `Messages` (or one message, a field of it, or a value computed from it) are passed to in the same function, directly, in a `for…of`, or through `map`/`forEach` callbacks; a loop that hands its messages to no project function there (or returns them to its caller) is no handler. Named `sqs <queue>`: the last segment of the queue URL when it is a literal, const or template, else `*`.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call, unit } of scan.calls) {
        if (ts.isTaggedTemplateExpression(call)) continue;
        const options = consumerOptions(resolver, call);
        if (options) {
          const entries = optionEntries(resolver, options, ["handleMessage", "handleMessageBatch"]);
          if (entries.length > 0) out.push({ name: `sqs ${queueOf(resolver, options, "queueUrl")}`, framework: "sqs", node: call, entries, job: true });
          continue;
        }
        if (!ts.isNewExpression(call) || !unit || !originMatches(resolver.origins(call.expression), CLIENT_MODULES, { exports: ["ReceiveMessageCommand"], forms: ["value"] })) continue;
        const input = call.arguments?.[0] && skipOuterExpressions(call.arguments[0]);
        const send = sendCallOf(resolver, call, unit);
        if (!send) continue;
        const entries = new PollLoop(resolver, send).entries(outermost(unit));
        if (entries.length === 0) continue;
        const name = input && ts.isObjectLiteralExpression(input) ? queueOf(resolver, input, "QueueUrl") : "*";
        out.push({ name: `sqs ${name}`, framework: "sqs", node: call, entries, job: true });
      }
    }
    return out;
  },
};

/** The options object of `Consumer.create({...})` or `new Consumer({...})` from sqs-consumer. */
function consumerOptions(resolver: Resolver, call: ts.CallExpression | ts.NewExpression): ts.ObjectLiteralExpression | undefined {
  const callee = skipOuterExpressions(call.expression);
  const isConsumer = (e: ts.Expression): boolean => originMatches(resolver.origins(e), CONSUMER_MODULES, { exports: ["Consumer"], forms: ["value"] });
  const matches = ts.isNewExpression(call) ? isConsumer(callee) : ts.isPropertyAccessExpression(callee) && callee.name.text === "create" && isConsumer(callee.expression);
  const first = matches && call.arguments?.[0] && skipOuterExpressions(call.arguments[0]);
  return first && ts.isObjectLiteralExpression(first) ? first : undefined;
}

function optionEntries(resolver: Resolver, options: ts.ObjectLiteralExpression, names: string[]): HandlerEntry[] {
  const entries: HandlerEntry[] = [];
  for (const property of options.properties) {
    if (!property.name || !names.includes(propertyNameText(property.name))) continue;
    if (ts.isMethodDeclaration(property)) {
      const unit = resolver.index.unitOf(property);
      if (unit) entries.push({ units: [unit] });
    } else if (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) {
      const entry = entryOf(resolver, ts.isPropertyAssignment(property) ? property.initializer : property.name);
      if (entry.units.length > 0) entries.push(entry);
    }
  }
  return entries;
}

/** The queue's name: the last path segment of its URL. */
function queueOf(resolver: Resolver, options: ts.ObjectLiteralExpression, property: string): string {
  const assignment = options.properties.find((p) => p.name && propertyNameText(p.name) === property);
  const value = assignment && (ts.isPropertyAssignment(assignment) ? assignment.initializer : ts.isShorthandPropertyAssignment(assignment) ? assignment.name : undefined);
  const url = value ? routePath(resolver, value) : "*";
  return url.replace(/\/+$/, "").split("/").pop() || "*";
}

/** `client.send(command)` where the command is this ReceiveMessageCommand, written in place or through a variable of the same function. */
function sendCallOf(resolver: Resolver, command: ts.NewExpression, unit: FunctionUnit): ts.CallExpression | undefined {
  const isClient = (e: ts.Expression): boolean => originMatches(resolver.origins(e), CLIENT_MODULES, { exports: ["SQSClient", "SQS"], types: ["SQSClient", "SQS"] });
  const isSend = (call: ts.Node): call is ts.CallExpression => {
    if (!ts.isCallExpression(call)) return false;
    const callee = skipOuterExpressions(call.expression);
    return ts.isPropertyAccessExpression(callee) && callee.name.text === "send" && isClient(callee.expression);
  };
  let holder: ts.Node = command.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder)) holder = holder.parent;
  if (isSend(holder)) return holder;
  if (!ts.isVariableDeclaration(holder)) return undefined;
  const variable = holder;
  return unit.calls.find((call): call is ts.CallExpression => isSend(call) && call.arguments.some((a) => resolver.declarationsOf(skipOuterExpressions(a))[0] === variable));
}

/** Calls inside a callback are the callback's own: search from the named function that holds the loop. */
function outermost(unit: FunctionUnit): FunctionUnit {
  let current = unit;
  while (current.inline && current.parent) current = current.parent;
  return current;
}

/** Follows the received messages through one function: the variables, loop items and callback parameters that hold them. */
class PollLoop {
  private readonly responses = new Set<ts.Node>();
  private readonly messages = new Set<ts.Node>();
  private readonly found = new Map<number, HandlerEntry>();

  constructor(private readonly resolver: Resolver, private readonly send: ts.CallExpression) {}

  entries(unit: FunctionUnit): HandlerEntry[] {
    const body = unit.node.body;
    if (body) this.visit(body);
    return [...this.found.values()];
  }

  private visit(node: ts.Node): void {
    if (ts.isVariableDeclaration(node) && node.initializer) this.bind(node.name, node.initializer);
    if (ts.isForOfStatement(node) && this.carries(node.expression) && ts.isVariableDeclarationList(node.initializer)) {
      for (const declaration of node.initializer.declarations) this.taint(declaration.name);
    }
    const handled = ts.isCallExpression(node) ? this.call(node) : undefined;
    ts.forEachChild(node, (child) => (child === handled ? undefined : this.visit(child)));
  }

  /** `const res = await client.send(…)`, `const { Messages } = …`, `const body = JSON.parse(message.Body)`. */
  private bind(name: ts.BindingName, initializer: ts.Expression): void {
    const value = skipOuterExpressions(initializer);
    if (value === this.send) {
      if (ts.isIdentifier(name)) this.responses.add(name.parent);
      if (ts.isObjectBindingPattern(name)) {
        for (const element of name.elements) if (propertyNameText(element.propertyName ?? element.name) === "Messages") this.taint(element.name);
      }
    } else if (this.carries(value)) {
      this.taint(name);
    }
  }

  /** Records what a call runs per message; returns the callback argument that is itself the per-message function. */
  private call(call: ts.CallExpression): ts.Node | undefined {
    const callee = skipOuterExpressions(call.expression);
    if (ts.isPropertyAccessExpression(callee) && ITERATING_METHODS.has(callee.name.text) && this.carries(callee.expression)) {
      const callback = call.arguments[0];
      if (callback) this.add(callback);
      return callback;
    }
    if (call.arguments.some((a) => this.carries(a))) this.add(call.expression);
    return undefined;
  }

  private add(expression: ts.Expression): void {
    const entry = entryOf(this.resolver, expression);
    for (const unit of entry.units) if (!this.found.has(unit.id)) this.found.set(unit.id, { expression, units: [unit] });
  }

  private taint(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) this.messages.add(name.parent);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) this.taint(element.name);
  }

  /** Whether an expression holds a received message: it mentions one, or reads `Messages` off the response. */
  private carries(expression: ts.Node): boolean {
    if (ts.isPropertyAccessExpression(expression) && expression.name.text === "Messages") {
      const base = skipOuterExpressions(expression.expression);
      if (base === this.send || (ts.isIdentifier(base) && this.refersTo(base, this.responses))) return true;
    }
    if (ts.isIdentifier(expression) && this.refersTo(expression, this.messages)) return true;
    if (isFunctionNode(expression)) return false;
    return ts.forEachChild(expression, (child) => this.carries(child) || undefined) ?? false;
  }

  private refersTo(identifier: ts.Identifier, declarations: Set<ts.Node>): boolean {
    if (declarations.size === 0) return false;
    const declaration = this.resolver.declarationsOf(identifier)[0];
    return declaration !== undefined && declarations.has(declaration);
  }
}
