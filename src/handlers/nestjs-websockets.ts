// NestJS WebSocket gateways: the @SubscribeMessage methods and connection hooks of @WebSocketGateway classes.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import type { FinderContext, HandlerCandidate, HandlerFinder } from "./finder.js";

const MODULE = "@nestjs/websockets";
/** Methods Nest calls on a gateway per client (OnGatewayConnection, OnGatewayDisconnect), decorated or not. */
const HOOKS = new Set(["handleConnection", "handleDisconnect"]);

export const nestjsWebsockets: HandlerFinder = {
  framework: "nestjs",
  title: "NestJS WebSocket gateways",
  modules: [MODULE],
  describe:
    "Classes decorated `@WebSocketGateway(…)` (@nestjs/websockets): each `@SubscribeMessage(event)` method is a handler `Class.method` located at the decorator's `@`; " +
    "`handleConnection` and `handleDisconnect` (OnGatewayConnection, OnGatewayDisconnect) are handlers `Class.handleConnection`, `Class.handleDisconnect` located at the method's name. " +
    "As for Nest's message patterns, names are the class method's whatever the gateway's `namespace` option or port: `Class.method` already tells two gateways' `join` apart.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const cls of scan.classes) {
        if (!(ts.getDecorators(cls) ?? []).some((d) => decoratorName(resolver, d) === "WebSocketGateway")) continue;
        for (const member of cls.members) {
          if (!ts.isMethodDeclaration(member)) continue;
          const unit = index.unitOf(member);
          if (!unit) continue;
          const subscribe = (ts.getDecorators(member) ?? []).find((d) => decoratorName(resolver, d) === "SubscribeMessage");
          if (subscribe) out.push({ name: unit.name, framework: "nestjs", node: subscribe, entries: [{ units: [unit] }] });
          else if (HOOKS.has(propertyNameText(member.name))) out.push({ name: unit.name, framework: "nestjs", node: member.name, entries: [{ units: [unit] }] });
        }
      }
    }
    return out;
  },
};

/** The @nestjs/websockets export a decorator applies (`SubscribeMessage`, a renamed import of it, `ws.SubscribeMessage`), or undefined. */
function decoratorName(resolver: Resolver, decorator: ts.Decorator): string | undefined {
  const expr = skipOuterExpressions(decorator.expression);
  const callee = skipOuterExpressions(ts.isCallExpression(expr) ? expr.expression : expr);
  const binding = ts.isIdentifier(callee) ? resolver.importOf(callee) : undefined;
  const origins = binding ? [binding] : resolver.origins(callee).filter((o) => o.form === "value");
  return origins.find((o) => o.module === MODULE)?.path;
}
