// Google Cloud Pub/Sub: one handler per `subscription.on("message", listener)` on a subscription from `@google-cloud/pubsub`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { methodCalls, literalText, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";

const MODULES = ["@google-cloud/pubsub"];

export const pubsub: HandlerFinder = {
  framework: "pubsub",
  title: "Google Cloud Pub/Sub",
  modules: MODULES,
  describe:
    "`subscription.on('message', listener)` (or `addListener`) on a subscription from `@google-cloud/pubsub`: made by `pubsub.subscription(name)`, `topic.subscription(name)`, `topic.createSubscription(name)` / `pubsub.createSubscription(topic, name)` (`const [subscription] = await …`) or `new Subscription(pubsub, name)`, in place or held in a variable or a class field (initialised or assigned in the class). " +
    "Named `pubsub <subscription>` (the last segment of a literal or const name, else `*`) and located at the `on(` call. `error` and `close` listeners, and an `EventEmitter`'s `message` event, are no handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["on", "addListener"]))) {
      const [event, listener] = call.arguments;
      if (!listener || literalText(event) !== "message") continue;
      const made = creation(resolver, callee.expression, 0);
      // Declared or typed as a Subscription, or made by a Pub/Sub client or topic.
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["Subscription"], types: ["Subscription"] }) && !(made && madeByPubSub(resolver, made))) continue;
      out.push({ name: `pubsub ${made ? subscriptionName(resolver, made) : "*"}`, framework: "pubsub", node: call, entries: wrappedEntries(resolver, listener), job: true });
    }
    return out;
  },
};

/** The call that made a subscription, following variables, array destructuring and class fields. */
function creation(resolver: Resolver, expression: ts.Expression, depth: number): ts.CallExpression | ts.NewExpression | undefined {
  if (depth > 6) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isCallExpression(expr)) {
    const callee = skipOuterExpressions(expr.expression);
    return ts.isPropertyAccessExpression(callee) && ["subscription", "createSubscription"].includes(callee.name.text) ? expr : undefined;
  }
  if (ts.isNewExpression(expr)) return originMatches(resolver.origins(expr.expression), MODULES, { exports: ["Subscription"], forms: ["value"] }) ? expr : undefined;
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  for (const declaration of resolver.declarationsOf(expr)) {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) continue;
    let values: ts.Expression[] = [];
    if ((ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.initializer) values = [declaration.initializer];
    else if (ts.isBindingElement(declaration) && ts.isArrayBindingPattern(declaration.parent) && ts.isVariableDeclaration(declaration.parent.parent) && declaration.parent.parent.initializer) values = [declaration.parent.parent.initializer];
    else if (ts.isPropertyDeclaration(declaration) || ts.isVariableDeclaration(declaration)) values = assignedValues(resolver, declaration);
    for (const value of values) {
      const made = creation(resolver, value, depth + 1);
      if (made) return made;
    }
  }
  return undefined;
}

function madeByPubSub(resolver: Resolver, made: ts.CallExpression | ts.NewExpression): boolean {
  if (ts.isNewExpression(made)) return true;
  const callee = skipOuterExpressions(made.expression);
  return ts.isPropertyAccessExpression(callee) && originMatches(resolver.origins(callee.expression), MODULES, { exports: ["*"], types: ["PubSub", "Topic"] });
}

/** Values assigned to a class field (`this.subscription = …`) or a variable (`subscription = …`) in its file. */
function assignedValues(resolver: Resolver, declaration: ts.PropertyDeclaration | ts.VariableDeclaration): ts.Expression[] {
  if (!ts.isIdentifier(declaration.name)) return [];
  const name = declaration.name.text;
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = skipOuterExpressions(node.left);
      const target = ts.isPropertyAccessExpression(left) ? left.name : left;
      if (ts.isIdentifier(target) && target.text === name && resolver.declarationsOf(left).includes(declaration)) found.push(node.right);
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration.getSourceFile());
  return found;
}

/** The subscription's name: the last segment of `projects/p/subscriptions/name`, or of a short name. */
function subscriptionName(resolver: Resolver, made: ts.CallExpression | ts.NewExpression): string {
  const args = made.arguments ?? [];
  let argument = args[0];
  if (ts.isNewExpression(made)) argument = args[1];
  else if (ts.isPropertyAccessExpression(made.expression) && made.expression.name.text === "createSubscription" && isClient(resolver, made.expression.expression)) argument = args[1];
  const text = routePath(resolver, argument) || "*";
  return text.split("/").pop() || "*";
}

/** The PubSub client itself (whose `createSubscription` takes the topic first), not a topic. */
function isClient(resolver: Resolver, expression: ts.Expression): boolean {
  return resolver.origins(expression).some((o) => MODULES.includes(o.module) && o.path === "PubSub" && (o.typed || o.form === "instance"));
}
