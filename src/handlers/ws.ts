// ws: the connection callback of a WebSocketServer and the listeners registered on the sockets it receives.
import { originMatches } from "../scan/resolve.js";
import type { FinderContext, HandlerFinder } from "./finder.js";
import { socketServerHandlers } from "./socket-server.js";

const MODULES = ["ws"];

export const ws: HandlerFinder = {
  framework: "ws",
  title: "ws",
  modules: MODULES,
  describe:
    "`wss.on(\"connection\", (ws) => …)` on a server made by `new WebSocketServer(…)` (or `new WebSocket.Server(…)`) from ws is a handler `ws connection`; " +
    "each `ws.on(event, fn)` on the socket it receives (also inside project functions the socket is passed to) is a handler `ws <event>`. " +
    "Both are located at the `on(` call. A client `new WebSocket(url)` is not a server and its listeners are not handlers.",
  find(context: FinderContext) {
    const { resolver } = context;
    return socketServerHandlers(context, {
      framework: "ws",
      prefix: "ws",
      namespacesOf: (e) =>
        originMatches(resolver.origins(e), MODULES, { exports: ["WebSocketServer", "Server", "default.Server", "default.WebSocketServer"], types: ["WebSocketServer", "Server"], forms: ["instance"] }) ? ["/"] : [],
    });
  },
};
