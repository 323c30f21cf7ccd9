// Socket.IO: the connection callback of a server and every event listener registered on the sockets it receives.
import { originMatches } from "../scan/resolve.js";
import type { FinderContext, HandlerFinder } from "./finder.js";
import { socketServerHandlers } from "./socket-server.js";

const MODULES = ["socket.io"];

export const socketIo: HandlerFinder = {
  framework: "socket.io",
  title: "Socket.IO",
  modules: MODULES,
  describe:
    "`io.on(\"connection\", (socket) => …)` on a server made by `new Server(…)` from socket.io is a handler `socket.io connection`; " +
    "each `socket.on(event, fn)` on the socket it receives (also inside project functions the socket is passed to, or on a parameter typed `Socket`) is a handler `socket.io <event>` " +
    "(`*` when the event is not a literal or a const). Both are located at the `on(` call.",
  find(context: FinderContext) {
    const { resolver } = context;
    return socketServerHandlers(context, {
      framework: "socket.io",
      prefix: "socket.io",
      isServer: (e) => originMatches(resolver.origins(e), MODULES, { exports: ["Server", "default"], types: ["Server", "Namespace"], forms: ["instance"] }),
      isSocket: (e) => originMatches(resolver.origins(e), MODULES, { exports: ["Socket"], types: ["Socket"], forms: ["instance"] }),
    });
  },
};
