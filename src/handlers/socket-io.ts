// Socket.IO: connection callbacks of a server's namespaces and every event listener registered on the sockets they receive, after their middleware.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type OriginSpec, type Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";
import type { FinderContext, HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";
import { socketServerHandlers } from "./socket-server.js";

const MODULES = ["socket.io"];
const SERVER: OriginSpec = { exports: ["Server", "default"], types: ["Server"], forms: ["instance"] };
/** A namespace known only from its declared type (`nsp: Namespace`): which one is not known. */
const NAMESPACE: OriginSpec = { exports: ["Namespace", "ParentNamespace"], types: ["Namespace", "ParentNamespace"], forms: ["instance"] };
const SOCKET: OriginSpec = { exports: ["Socket"], types: ["Socket"], forms: ["instance"] };
/** Server and namespace methods that return what they are called on (`io.of("/chat").use(auth).on(…)`). */
const CHAIN = new Set(["use", "on", "addListener", "once"]);
/** How many variables, fields and parameters deep a namespace's value is followed. */
const MAX_DEPTH = 6;

export const socketIo: HandlerFinder = {
  framework: "socket.io",
  title: "Socket.IO",
  modules: MODULES,
  describe:
    "`io.on(\"connection\", (socket) => …)` on a server made by `new Server(…)` from socket.io is a handler `socket.io connection`; on a namespace " +
    "(`io.of(\"/chat\").on(\"connection\", fn)`, `io.of(\"/chat\", fn)`, a namespace held in a variable, a field or a parameter) it is `socket.io /chat connection`, " +
    "a dynamic namespace `io.of(/^\\/team-\\d+$/)` written with `*` for what the pattern matches (`socket.io /team-* connection`, `*` when the pattern or function cannot be read). " +
    "Each `socket.on(event, fn)` on the socket it receives (also inside project functions the socket is passed to, or on a parameter typed `Socket`) is a handler " +
    "`socket.io [<namespace>] <event>` (`*` when the event is not a literal or a const), and `socket.onAny(fn)` a handler `socket.io [<namespace>] *`. " +
    "Middleware runs first: `io.use(fn)` (the default namespace's) and `namespace.use(fn)` before that namespace's connection handlers, `socket.use(fn)` before every event handler " +
    "of that socket (not before `onAny` listeners, which Socket.IO calls first). Acknowledgement callbacks a handler passes to `emit` are part of it. All are located at the registering call.",
  find(context: FinderContext) {
    const { resolver } = context;
    const isServer = (e: ts.Expression): boolean => originMatches(resolver.origins(e), MODULES, SERVER);
    return socketServerHandlers(context, {
      framework: "socket.io",
      prefix: "socket.io",
      namespacesOf: (e) => namespacesOf(resolver, e, 0),
      isSocket: (e) => originMatches(resolver.origins(e), MODULES, SOCKET),
      middlewareMethod: "use",
      anyEventMethods: new Set(["onAny", "prependAny"]),
      // `io.of("/chat", (socket) => …)` listens for the namespace's connections.
      connectionListener: (call, method) => {
        const callee = skipOuterExpressions(call.expression);
        if (method !== "of" || !call.arguments[1] || !ts.isPropertyAccessExpression(callee) || !isServer(callee.expression)) return undefined;
        return { listener: call.arguments[1], namespaces: [namespaceName(resolver, call.arguments[0])] };
      },
    });
  },
};

/** The namespaces a server-side value is: `/` for a server or `io.sockets`, the name given to `io.of(…)`; empty when it is neither. */
function namespacesOf(resolver: Resolver, expression: ts.Expression, depth: number): string[] {
  const expr = skipOuterExpressions(expression);
  if (depth > MAX_DEPTH) return [];
  if (ts.isCallExpression(expr)) {
    const callee = skipOuterExpressions(expr.expression);
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "of") return originMatches(resolver.origins(callee.expression), MODULES, SERVER) ? [namespaceName(resolver, expr.arguments[0])] : [];
    if (ts.isPropertyAccessExpression(callee) && CHAIN.has(callee.name.text)) return namespacesOf(resolver, callee.expression, depth + 1);
  }
  if (ts.isPropertyAccessExpression(expr) && expr.name.text === "sockets" && originMatches(resolver.origins(expr.expression), MODULES, SERVER)) return ["/"];
  const origins = resolver.origins(expr);
  if (originMatches(origins, MODULES, SERVER)) return ["/"];
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    const names = new Set(boundValues(resolver, expr).flatMap((value) => namespacesOf(resolver, value, depth + 1)));
    if (names.size > 0) return [...names];
  }
  return originMatches(origins, MODULES, NAMESPACE) ? ["*"] : [];
}

/** The values a name may hold in the analysed code: a variable's or field's initializer, `this.field = …` in its class, what callers pass for a parameter. */
function boundValues(resolver: Resolver, expression: ts.Identifier | ts.PropertyAccessExpression): ts.Expression[] {
  const values: ts.Expression[] = [];
  for (const declaration of resolver.declarationsOf(expression)) {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) continue;
    if ((ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer) values.push(declaration.initializer);
    else if (ts.isParameter(declaration)) values.push(...resolver.passedValues(declaration));
    else if (ts.isPropertyDeclaration(declaration)) {
      if (declaration.initializer) values.push(declaration.initializer);
      values.push(...fieldAssignments(declaration));
    }
  }
  return values;
}

/** `this.chat = io.of("/chat")` anywhere in the field's class. */
function fieldAssignments(field: ts.PropertyDeclaration): ts.Expression[] {
  const name = propertyNameText(field.name);
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = skipOuterExpressions(node.left);
      if (ts.isPropertyAccessExpression(left) && left.expression.kind === ts.SyntaxKind.ThisKeyword && left.name.text === name) found.push(node.right);
    }
    if (!ts.isClassLike(node)) ts.forEachChild(node, visit);
  };
  for (const member of field.parent.members) ts.forEachChild(member, visit);
  return found;
}

/** `"/chat"` and `"chat"` → `/chat` (Socket.IO adds the slash); a RegExp → its matched names with `*`; a function or an unknown value → `*`. */
function namespaceName(resolver: Resolver, argument: ts.Expression | undefined): string {
  if (!argument) return "*";
  const expr = skipOuterExpressions(argument);
  if (ts.isRegularExpressionLiteral(expr)) return patternName(expr.text.slice(1, expr.text.lastIndexOf("/")));
  if (isFunctionNode(expr)) return "*";
  const text = routePath(resolver, expr);
  return text === "*" || text.startsWith("/") ? text : "/" + text;
}

/** `^\/team-\d+$` → `/team-*`: a pattern of literal text and simple repeats; `*` for anything else (alternatives, groups, optional parts). */
function patternName(source: string): string {
  const body = source
    .replace(/^\^/, "")
    .replace(/\$$/, "")
    .replace(/\\[dw][+*]?|\[[^\]]*\][+*]?|\.[+*]/g, "\0")
    .replace(/\\([/.\-_])/g, "$1");
  if (/[\\^$.|?*+()[\]{}]/.test(body) || !body.startsWith("/")) return "*";
  return body.replace(/\0+/g, "*");
}
