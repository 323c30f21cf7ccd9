// Shared by the WebSocket server finders: connection callbacks of a server, and the listeners registered on the sockets they receive.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry } from "./finder.js";
import { routePath } from "./route-tree.js";

export interface SocketServerSpec {
  framework: string;
  /** The first word of handler names: `socket.io`, `ws`. */
  prefix: string;
  /** The namespaces a server expression serves, `/` for the default one (left out of names); empty when the expression is not a server. */
  namespacesOf(expression: ts.Expression): string[];
  /** A socket known from its declared type (a parameter typed `Socket`); sockets received from a connection are found without it. */
  isSocket?(expression: ts.Expression): boolean;
  /** The method adding middleware: on a server, run before its connection listeners; on a socket, before each of its event listeners (socket.io `use`). */
  middlewareMethod?: string;
  /** Methods adding a listener of every event, a handler `<prefix> *` run before any middleware (socket.io `onAny`). */
  anyEventMethods?: ReadonlySet<string>;
  /** A connection listener given to a call other than `on("connection", fn)` (socket.io `io.of(name, fn)`), with the namespaces it listens on. */
  connectionListener?(call: ts.CallExpression, method: string): { listener: ts.Expression; namespaces: string[] } | undefined;
}

const LISTEN = new Set(["on", "addListener"]);
const CONNECTION = new Set(["connection", "connect"]);
/** How many project functions deep a socket is followed when passed on (`registerChatHandlers(io, socket)`). */
const PASS_DEPTH = 4;

/**
 * `server.on("connection", (socket) => …)` is a handler `<prefix> [<namespace>] connection` after the server's middleware; each
 * `socket.on(event, fn)` on the socket it receives, or on a project function's parameter the socket is passed to, is a handler
 * `<prefix> [<namespace>] <event>` after the socket's middleware, located at that call.
 */
export function socketServerHandlers(context: FinderContext, spec: SocketServerSpec): HandlerCandidate[] {
  const { index, resolver } = context;
  const out: HandlerCandidate[] = [];
  const nameOf = (namespace: string, event: string): string => `${spec.prefix}${namespace === "/" ? "" : " " + namespace} ${event}`;
  /** The connection sockets each socket declaration (a listener's or a project function's parameter) may be, by the first parameter of their connection listener. */
  const sockets = new Map<ts.Node, Set<ts.Node>>();
  const socketNamespaces = new Map<ts.Node, Set<string>>();
  const connections: { call: ts.CallExpression; entry: HandlerEntry; namespaces: string[] }[] = [];
  const serverMiddleware = new Map<string, HandlerEntry[]>();
  const listenMethods = new Set([...LISTEN, ...(spec.middlewareMethod ? [spec.middlewareMethod] : [])]);
  for (const { call, callee, method } of methodCalls(index)) {
    const extra = spec.connectionListener?.(call, method);
    if (extra) {
      connections.push({ call, entry: entryOf(resolver, extra.listener), namespaces: extra.namespaces });
      continue;
    }
    if (!listenMethods.has(method) || !call.arguments[0]) continue;
    if (method === spec.middlewareMethod) {
      // Namespace middleware runs on every new connection, whenever it was added.
      for (const namespace of spec.namespacesOf(callee.expression)) serverMiddleware.set(namespace, [...(serverMiddleware.get(namespace) ?? []), entryOf(resolver, call.arguments[0])]);
      continue;
    }
    const event = routePath(resolver, call.arguments[0]);
    if (!CONNECTION.has(event) || !call.arguments[1]) continue;
    const namespaces = spec.namespacesOf(callee.expression);
    if (namespaces.length > 0) connections.push({ call, entry: entryOf(resolver, call.arguments[1]), namespaces });
  }
  const connectionCalls = new Set<ts.Node>();
  for (const { call, entry, namespaces } of connections) {
    if (entry.units.length === 0) continue;
    connectionCalls.add(call);
    for (const namespace of namespaces) {
      out.push({ name: nameOf(namespace, "connection"), framework: spec.framework, node: call, entries: [...(serverMiddleware.get(namespace) ?? []).filter((e) => e.units.length > 0), entry] });
    }
    for (const unit of entry.units) {
      const parameter = unit.node.parameters[0];
      if (!parameter) continue;
      sockets.set(parameter, new Set([parameter]));
      const known = socketNamespaces.get(parameter) ?? new Set<string>();
      for (const namespace of namespaces) known.add(namespace);
      socketNamespaces.set(parameter, known);
    }
  }
  // A socket passed to a project function makes that function's parameter the same socket.
  const pairs = (): number => [...sockets.values()].reduce((n, roots) => n + roots.size, 0);
  for (let depth = 0; depth < PASS_DEPTH; depth++) {
    const before = pairs();
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        call.arguments.forEach((argument, position) => {
          const roots = rootsOf(argument);
          if (roots.size === 0) return;
          for (const unit of resolver.functionTargets(call.expression)) {
            const parameter = unit.node.parameters[position];
            if (!parameter) continue;
            const known = sockets.get(parameter) ?? new Set<ts.Node>();
            for (const root of roots) known.add(root);
            sockets.set(parameter, known);
          }
        });
      }
    }
    if (pairs() === before) break;
  }
  function rootsOf(expression: ts.Expression): Set<ts.Node> {
    const expr = skipOuterExpressions(expression);
    const roots = new Set<ts.Node>();
    if (ts.isIdentifier(expr)) for (const declaration of resolver.declarationsOf(expr)) for (const root of sockets.get(declaration) ?? []) roots.add(root);
    return roots;
  }
  /** The connection sockets a listener's receiver is; a socket known only by its type is its own, in the default namespace. */
  function receiverRoots(receiver: ts.Expression): Set<ts.Node> | undefined {
    const roots = rootsOf(receiver);
    if (roots.size > 0) return roots;
    if (!spec.isSocket?.(receiver)) return undefined;
    const expr = skipOuterExpressions(receiver);
    const declaration = ts.isIdentifier(expr) ? resolver.declarationsOf(expr)[0] : undefined;
    return new Set([declaration ?? expr]);
  }

  const listeners: { call: ts.CallExpression; roots: Set<ts.Node>; event: string; entry: HandlerEntry; afterMiddleware: boolean }[] = [];
  const socketMiddleware = new Map<ts.Node, HandlerEntry[]>();
  for (const { call, callee, method } of methodCalls(index)) {
    if (connectionCalls.has(call)) continue;
    const any = spec.anyEventMethods?.has(method) ?? false;
    if (!any && !listenMethods.has(method)) continue;
    const listener = any || method === spec.middlewareMethod ? call.arguments[0] : call.arguments[1];
    if (!listener) continue;
    const roots = receiverRoots(callee.expression);
    if (!roots) continue;
    const entry = entryOf(resolver, listener);
    if (entry.units.length === 0) continue;
    if (method === spec.middlewareMethod) {
      for (const root of roots) socketMiddleware.set(root, [...(socketMiddleware.get(root) ?? []), entry]);
    } else {
      listeners.push({ call, roots, event: any ? "*" : routePath(resolver, call.arguments[0]), entry, afterMiddleware: !any });
    }
  }
  for (const { call, roots, event, entry, afterMiddleware } of listeners) {
    // A listener reached from connections of several namespaces is one handler per namespace, after the middleware of the sockets there.
    const byNamespace = new Map<string, HandlerEntry[]>();
    for (const root of roots) {
      for (const namespace of socketNamespaces.get(root) ?? ["/"]) {
        const middleware = byNamespace.get(namespace) ?? [];
        for (const m of afterMiddleware ? socketMiddleware.get(root) ?? [] : []) if (!middleware.includes(m)) middleware.push(m);
        byNamespace.set(namespace, middleware);
      }
    }
    for (const [namespace, middleware] of byNamespace) out.push({ name: nameOf(namespace, event), framework: spec.framework, node: call, entries: [...middleware, entry] });
  }
  return out;
}
