// oRPC: procedures (`os….handler(fn)`, `implement(contract)….handler(fn)`) placed in router objects that a server or client serves.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { type FinderContext, followVariables, type HandlerCandidate, type HandlerEntry, type HandlerFinder, projectInitializer, wrappedEntries } from "./finder.js";

const SERVER = "@orpc/server";
/** Every package a router is handed to (`new RPCHandler(router)`, `new OpenAPIHandler(router)`, `createRouterClient(router)`). */
const SERVING = [SERVER, "@orpc/server/node", "@orpc/server/fetch", "@orpc/server/fastify", "@orpc/server/aws-lambda", "@orpc/server/websocket", "@orpc/server/message-port", "@orpc/openapi/node", "@orpc/openapi/fetch", "@orpc/openapi/fastify", "@orpc/openapi/aws-lambda"];

const SERVERS = ["RPCHandler", "OpenAPIHandler", "createRouterClient"];

/** A builder chain: the middlewares `.use()` adds, in order, and the handler when the chain ends in `.handler(fn)`. */
interface Chain {
  middlewares: ts.Expression[];
  handler?: ts.Expression;
}

export const orpc: HandlerFinder = {
  framework: "orpc",
  title: "oRPC",
  modules: [SERVER],
  describe:
    "Procedures built from `os` of @orpc/server or from `implement(contract)` (through project bases such as `const authed = os.$context<C>().use(auth)`, and contract paths `impl.planet.list`) and ending in `.handler(fn)`, placed in a router object that is served: given to `new RPCHandler(router)`, `new OpenAPIHandler(router)`, `createRouterClient(router)` or another server of @orpc/*, nested by key in plain objects or `builder.router({...})` (`os.use(mw).prefix('/x').router({...})`). Each is a handler named `orpc <key.path>` (e.g. `orpc planet.create`), located at its key in the router object (a procedure mounted under two keys is two handlers). Entries: the middlewares of enclosing `.router()` builders, then those of the procedure's chain, then the handler. A procedure in no served router is not a handler.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const model = new OrpcModel(resolver);
    const roots: ts.Expression[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (ts.isTaggedTemplateExpression(call) || !call.arguments?.[0]) continue;
        if (originMatches(resolver.origins(call.expression), SERVING, { exports: SERVERS, forms: ["value"] })) roots.push(call.arguments[0]);
      }
    }
    const out: HandlerCandidate[] = [];
    const seen = new Set<string>();
    for (const root of roots) model.walkRouter(root, "", [], out, seen, new Set());
    return out;
  },
};

class OrpcModel {
  constructor(private readonly resolver: Resolver) {}

  /** Add every procedure of a router value under `prefix`: an object literal, a variable, or `builder.router({...})`. */
  walkRouter(expression: ts.Expression, prefix: string, middlewares: ts.Expression[], out: HandlerCandidate[], seen: Set<string>, walking: Set<ts.Node>): void {
    const expr = followVariables(this.resolver, expression);
    if (walking.has(expr)) return;
    const routed = this.routerCall(expr);
    if (routed) {
      this.walkRouter(routed.record, prefix, [...middlewares, ...routed.middlewares], out, seen, walking);
      return;
    }
    if (!ts.isObjectLiteralExpression(expr)) return;
    walking.add(expr);
    for (const property of expr.properties) {
      if (ts.isSpreadAssignment(property)) {
        this.walkRouter(property.expression, prefix, middlewares, out, seen, walking);
        continue;
      }
      const value = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      if (!value) continue;
      const name = prefix + propertyNameText(property.name);
      const procedure = this.chainOf(value, new Set());
      if (procedure?.handler) {
        const key = `${nodeKey(property.name)}#${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // As oRPC does by default, a router's middlewares that the procedure's chain already starts with run once.
        const leading = middlewares.every((m, i) => procedure.middlewares[i] === m) ? [] : middlewares;
        const entries: HandlerEntry[] = [...leading, ...procedure.middlewares, procedure.handler].flatMap((e) => wrappedEntries(this.resolver, e)).filter((e) => e.units.length > 0);
        out.push({ name: `orpc ${name}`, framework: "orpc", node: property.name, entries });
      } else {
        this.walkRouter(value, name + ".", middlewares, out, seen, walking);
      }
    }
    walking.delete(expr);
  }

  /** `builder.router(record)` on an oRPC builder: the record and the builder's middlewares. */
  private routerCall(expr: ts.Expression): { record: ts.Expression; middlewares: ts.Expression[] } | undefined {
    if (!ts.isCallExpression(expr) || !expr.arguments[0]) return undefined;
    const callee = skipOuterExpressions(expr.expression);
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "router") return undefined;
    const builder = this.chainOf(callee.expression, new Set());
    return builder && !builder.handler ? { record: expr.arguments[0], middlewares: builder.middlewares } : undefined;
  }

  /** The builder chain an expression denotes, following project variables (`authed`, `pub`) across files. */
  chainOf(expression: ts.Expression, seen: Set<ts.Node>): Chain | undefined {
    const expr = skipOuterExpressions(expression);
    if (seen.has(expr)) return undefined;
    seen.add(expr);
    if (this.isBase(expr)) return { middlewares: [] };
    if (ts.isIdentifier(expr)) {
      const init = projectInitializer(this.resolver, expr);
      return init ? this.chainOf(init, seen) : undefined;
    }
    // `impl.planet.list` walks an implementer's contract to one procedure's builder.
    if (ts.isPropertyAccessExpression(expr)) {
      const base = this.chainOf(expr.expression, seen);
      return base && !base.handler ? base : undefined;
    }
    if (!ts.isCallExpression(expr)) return undefined;
    const callee = skipOuterExpressions(expr.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const method = callee.name.text;
    // `os.middleware(fn)` builds a middleware and `.router()` a router: neither is a procedure builder.
    if (method === "middleware" || method === "router" || method === "lazy") return undefined;
    const base = this.chainOf(callee.expression, seen);
    if (!base) return undefined;
    const argument = expr.arguments[0];
    if (method === "use" && argument) return { ...base, middlewares: [...base.middlewares, argument] };
    if (method === "handler" && argument && !base.handler) return { ...base, handler: argument };
    return base;
  }

  /** `os` (or a renamed import of it), or an `implement(contract)` call, from @orpc/server. */
  private isBase(expr: ts.Expression): boolean {
    if (ts.isIdentifier(expr)) return originMatches(this.resolver.origins(expr), [SERVER], { exports: ["os"], forms: ["value"] });
    return ts.isCallExpression(expr) && originMatches(this.resolver.origins(expr.expression), [SERVER], { exports: ["implement"], forms: ["value"] });
  }
}
