// Shared by the WebSocket server finders: connection callbacks of a server, and the listeners registered on the sockets they receive.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate } from "./finder.js";
import { routePath } from "./route-tree.js";

export interface SocketServerSpec {
  framework: string;
  /** The first word of handler names: `socket.io`, `ws`. */
  prefix: string;
  /** A server that emits `connection` with a socket. */
  isServer(expression: ts.Expression): boolean;
  /** A socket known from its declared type (a parameter typed `Socket`); sockets received from a connection are found without it. */
  isSocket?(expression: ts.Expression): boolean;
}

const LISTEN = new Set(["on", "addListener"]);
const CONNECTION = new Set(["connection", "connect"]);
/** How many project functions deep a socket is followed when passed on (`registerChatHandlers(io, socket)`). */
const PASS_DEPTH = 4;

/**
 * `server.on("connection", (socket) => …)` is a handler `<prefix> connection`; each `socket.on(event, fn)` on the socket it
 * receives, or on a project function's parameter the socket is passed to, is a handler `<prefix> <event>` located at that call.
 */
export function socketServerHandlers(context: FinderContext, spec: SocketServerSpec): HandlerCandidate[] {
  const { index, resolver } = context;
  const out: HandlerCandidate[] = [];
  const sockets = new Set<ts.Node>();
  const connections = new Set<ts.Node>();
  for (const { call, callee } of methodCalls(index, LISTEN)) {
    const event = call.arguments[0] && routePath(resolver, call.arguments[0]);
    if (!event || !CONNECTION.has(event) || !call.arguments[1] || !spec.isServer(callee.expression)) continue;
    const entry = entryOf(resolver, call.arguments[1]);
    if (entry.units.length === 0) continue;
    connections.add(call);
    out.push({ name: `${spec.prefix} connection`, framework: spec.framework, node: call, entries: [entry] });
    for (const unit of entry.units) if (unit.node.parameters[0]) sockets.add(unit.node.parameters[0]);
  }
  // A socket passed to a project function makes that function's parameter a socket too.
  for (let depth = 0; depth < PASS_DEPTH; depth++) {
    const before = sockets.size;
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        call.arguments.forEach((argument, position) => {
          if (!isKnownSocket(argument)) return;
          for (const unit of resolver.functionTargets(call.expression)) {
            const parameter = unit.node.parameters[position];
            if (parameter) sockets.add(parameter);
          }
        });
      }
    }
    if (sockets.size === before) break;
  }
  function isKnownSocket(expression: ts.Expression): boolean {
    const expr = skipOuterExpressions(expression);
    return ts.isIdentifier(expr) && resolver.declarationsOf(expr).some((d) => sockets.has(d));
  }
  for (const { call, callee } of methodCalls(index, LISTEN)) {
    if (connections.has(call) || !call.arguments[1]) continue;
    if (!isKnownSocket(callee.expression) && !spec.isSocket?.(callee.expression)) continue;
    const entry = entryOf(resolver, call.arguments[1]);
    if (entry.units.length === 0) continue;
    out.push({ name: `${spec.prefix} ${routePath(resolver, call.arguments[0])}`, framework: spec.framework, node: call, entries: [entry] });
  }
  return out;
}
