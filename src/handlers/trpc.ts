// tRPC (v10/v11): procedures in router maps built from `initTRPC…create()`, routers nested and merged across files, with their `.use()` middlewares.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { type FinderContext, followVariables, type HandlerCandidate, type HandlerEntry, type HandlerFinder, projectInitializer, wrappedEntries } from "./finder.js";

const MODULES = ["@trpc/server"];
const RESOLVER_METHODS = new Set(["query", "mutation", "subscription"]);

/** A procedure builder chain: the middlewares `.use()` adds, in order, and the resolver when the chain ends in one. */
interface Procedure {
  middlewares: ts.Expression[];
  resolver?: ts.Expression;
}

/** A router map's members: procedures, routers mounted under a key, and routers merged in at the same level. */
interface RouterNode {
  key: string;
  procedures: { name: string; node: ts.Node; procedure: Procedure }[];
  children: { prefix: string; router: RouterNode }[];
}

export const trpc: HandlerFinder = {
  framework: "trpc",
  title: "tRPC",
  modules: MODULES,
  describe:
    "Router maps built with the `router` of an `initTRPC…create()` root (`t.router`, and aliases such as `export const createTRPCRouter = t.router`), nested by key, in plain nested objects or through `mergeRouters`; each property whose value is a procedure chain (`t.procedure…`, or a builder derived from it) ending in `.query()`, `.mutation()` or `.subscription()` is a handler named `trpc <dotted.path>` (e.g. `trpc orders.create`) from the root router, located at the property key. Its entries: the `.use()` middlewares along the chain (including those of derived builders such as `protectedProcedure`), then the resolver.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const model = new TrpcModel(resolver);
    const routers: RouterNode[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        const router = model.routerOf(call);
        if (router) routers.push(router);
      }
    }
    const mounted = new Set<string>();
    for (const router of routers) for (const child of router.children) mounted.add(child.router.key);
    const out: HandlerCandidate[] = [];
    const seen = new Set<string>();
    for (const root of routers) {
      if (mounted.has(root.key) || seen.has(root.key)) continue;
      seen.add(root.key);
      walk(resolver, root, "", out, new Set());
    }
    return out;
  },
};

function walk(resolver: Resolver, router: RouterNode, prefix: string, out: HandlerCandidate[], visiting: Set<string>): void {
  if (visiting.has(router.key)) return;
  visiting.add(router.key);
  for (const { name, node, procedure } of router.procedures) {
    const entries: HandlerEntry[] = [...procedure.middlewares, procedure.resolver!].flatMap((e) => wrappedEntries(resolver, e)).filter((e) => e.units.length > 0);
    out.push({ name: `trpc ${prefix}${name}`, framework: "trpc", node, entries });
  }
  for (const child of router.children) walk(resolver, child.router, prefix + child.prefix, out, visiting);
  visiting.delete(router.key);
}

class TrpcModel {
  private readonly routers = new Map<string, RouterNode | undefined>();

  constructor(private readonly resolver: Resolver) {}

  /** The router a call builds: `router({...})` or `mergeRouters(a, b)` from a tRPC root. */
  routerOf(call: ts.CallExpression): RouterNode | undefined {
    const key = nodeKey(call);
    if (this.routers.has(key)) return this.routers.get(key);
    this.routers.set(key, undefined);
    const member = this.rootMember(call.expression);
    let node: RouterNode | undefined;
    if (member === "router" && call.arguments[0]) {
      node = { key, procedures: [], children: [] };
      this.addRecord(node, call.arguments[0], "", new Set());
    } else if (member === "mergeRouters") {
      node = { key, procedures: [], children: [] };
      for (const argument of call.arguments) {
        const merged = this.routerValue(argument);
        if (merged) node.children.push({ prefix: "", router: merged });
      }
    }
    this.routers.set(key, node);
    return node;
  }

  /** Add a router record's members (`{ create: proc, orders: ordersRouter, admin: { … } }`) under `prefix`. */
  private addRecord(node: RouterNode, record: ts.Expression, prefix: string, seen: Set<ts.Node>): void {
    const literal = followVariables(this.resolver, record);
    if (!ts.isObjectLiteralExpression(literal) || seen.has(literal)) return;
    seen.add(literal);
    for (const property of literal.properties) {
      if (ts.isSpreadAssignment(property)) {
        this.addRecord(node, property.expression, prefix, seen);
        continue;
      }
      let value: ts.Expression;
      if (ts.isPropertyAssignment(property)) value = property.initializer;
      else if (ts.isShorthandPropertyAssignment(property)) value = property.name;
      else continue;
      const name = prefix + propertyNameText(property.name);
      const procedure = this.procedureOf(value, new Set());
      if (procedure?.resolver) {
        node.procedures.push({ name, node: property.name, procedure });
        continue;
      }
      const child = this.routerValue(value);
      if (child) node.children.push({ prefix: name + ".", router: child });
      else this.addRecord(node, value, name + ".", seen);
    }
    seen.delete(literal);
  }

  /** The router an expression denotes: a router or merge call, or a variable holding one. */
  private routerValue(expression: ts.Expression): RouterNode | undefined {
    const expr = followVariables(this.resolver, expression);
    return ts.isCallExpression(expr) ? this.routerOf(expr) : undefined;
  }

  /** The procedure builder chain an expression denotes, following variables (`protectedProcedure`) across files. */
  private procedureOf(expression: ts.Expression, seen: Set<ts.Node>): Procedure | undefined {
    const expr = skipOuterExpressions(expression);
    if (seen.has(expr)) return undefined;
    seen.add(expr);
    if (ts.isIdentifier(expr)) {
      const init = projectInitializer(this.resolver, expr);
      return init ? this.procedureOf(init, seen) : undefined;
    }
    if (ts.isPropertyAccessExpression(expr)) return expr.name.text === "procedure" && this.isRoot(expr.expression, new Set()) ? { middlewares: [] } : undefined;
    if (!ts.isCallExpression(expr)) return undefined;
    const callee = skipOuterExpressions(expr.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const base = this.procedureOf(callee.expression, seen);
    if (!base || base.resolver) return undefined;
    const method = callee.name.text;
    const argument = expr.arguments[0];
    if (method === "use" && argument) return { middlewares: [...base.middlewares, argument] };
    if (RESOLVER_METHODS.has(method) && argument) return { middlewares: base.middlewares, resolver: argument };
    return base;
  }

  /** The member of a tRPC root an expression names: `t.router` → `router`, through aliases (`createTRPCRouter = t.router`). */
  private rootMember(expression: ts.Expression): string | undefined {
    const expr = followVariables(this.resolver, expression);
    return ts.isPropertyAccessExpression(expr) && this.isRoot(expr.expression, new Set()) ? expr.name.text : undefined;
  }

  /** `initTRPC.create()`, `initTRPC.context<C>().meta<M>().create()`, or a variable holding one. */
  private isRoot(expression: ts.Expression, seen: Set<ts.Node>): boolean {
    const expr = followVariables(this.resolver, expression, seen);
    if (!ts.isCallExpression(expr)) return false;
    const callee = skipOuterExpressions(expr.expression);
    return (
      ts.isPropertyAccessExpression(callee) &&
      callee.name.text === "create" &&
      this.resolver.origins(callee.expression).some((o) => MODULES.includes(o.module) && (o.path === "initTRPC" || o.path.startsWith("initTRPC.")))
    );
  }
}
