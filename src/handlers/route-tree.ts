// Routers mounted in routers: the shared shape of Express, Koa-router and Hono, turned into one handler per route and full path.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { nameText, receivedIn, starCount, type NamePlaceholder } from "./caller-values.js";
import { entryOf, joinRoute, type HandlerCandidate, type HandlerEntry } from "./finder.js";

export interface RouteRecord {
  method: string;
  path: string;
  call: ts.CallExpression;
  /** Middleware and handler expressions, in order. */
  functions: ts.Expression[];
  /** What each `*` of the method, then of the path, stands for (`nameText`), so that a helper's callers can fill it in. */
  placeholders?: (NamePlaceholder | undefined)[];
}

export interface UseRecord {
  /** Path prefix the middleware or mount applies under ("" for all). */
  path: string;
  call: ts.CallExpression;
  middleware: ts.Expression[];
  /** Routers mounted by this call, with the prefix they are mounted at. */
  mounts: { router: string; prefix: string }[];
}

export interface RouterNode {
  key: string;
  /** Prefix the router adds to its own routes (Koa `new Router({ prefix })`). */
  ownPrefix: string;
  routes: RouteRecord[];
  uses: UseRecord[];
  mounted: boolean;
}

export class RouteTree {
  readonly routers = new Map<string, RouterNode>();
  /** Routers known by a parameter of a project function (or a name destructured from one), by key. */
  private readonly parameters = new Map<string, ts.Node>();

  /**
   * @param entriesOf what a middleware or handler expression runs (default: `entryOf`; a finder may see through wrappers).
   * @param chainMethods methods that return the router they are called on (`Router().use(a).use(b)`): a chain of them is that router.
   * @param middlewareScope `after`: middleware runs for the routes and mounts registered after it (Express, Koa, Hono); `all`: for every route of its router, however registered (restify, h3 v2 keep one middleware list per app).
   */
  constructor(
    private readonly resolver: Resolver,
    private readonly framework: string,
    private readonly entriesOf: (expression: ts.Expression) => HandlerEntry[] = (e) => [entryOf(resolver, e)],
    private readonly chainMethods: ReadonlySet<string> = new Set(),
    private readonly middlewareScope: "after" | "all" = "after",
  ) {}

  router(key: string): RouterNode {
    let node = this.routers.get(key);
    if (!node) {
      node = { key, ownPrefix: "", routes: [], uses: [], mounted: false };
      this.routers.set(key, node);
    }
    return node;
  }

  /**
   * Handlers for every route reachable from routers nobody mounts, with prefixes and middleware joined along each mount path.
   * @param serves whether a router nobody mounts serves its routes (a finder may know that an unmounted one is dead code).
   */
  handlers(serves: (root: RouterNode) => boolean = () => true): HandlerCandidate[] {
    this.linkParameters();
    for (const node of this.routers.values()) {
      for (const use of node.uses) for (const mount of use.mounts) this.router(mount.router).mounted = true;
    }
    const out: HandlerCandidate[] = [];
    const roots = [...this.routers.values()].filter((r) => !r.mounted && serves(r)).sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const root of roots) this.walk(root, "", [], out, new Set(), []);
    return out;
  }

  private walk(node: RouterNode, prefix: string, inherited: HandlerEntry[], out: HandlerCandidate[], visiting: Set<string>, through: ts.Node[]): void {
    if (visiting.has(node.key)) return;
    visiting.add(node.key);
    const base = joinRoute(prefix, node.ownPrefix);
    const events = [
      ...node.routes.map((r) => ({ pos: callOrder(r.call), route: r, use: undefined })),
      ...node.uses.map((u) => ({ pos: callOrder(u.call), route: undefined, use: u })),
    ].sort((a, b) => a.pos - b.pos);
    const active: { path: string; entries: HandlerEntry[] }[] = [];
    // A function that only a helper's caller supplies is kept: the helper's call sites fill it in (forwarded.ts).
    const runs = (e: HandlerEntry): boolean => e.units.length > 0 || (e.expression !== undefined && receivedIn(this.resolver, e.expression).length > 0);
    const middlewareOf = (use: UseRecord) => ({ path: joinRoute(base, use.path), entries: use.middleware.flatMap((m) => this.entriesOf(m)).filter(runs) });
    if (this.middlewareScope === "all") for (const { use } of events) if (use && use.mounts.length === 0) active.push(middlewareOf(use));
    for (const event of events) {
      if (event.use) {
        const { path: usePath, entries } = middlewareOf(event.use);
        for (const mount of event.use.mounts) {
          const child = this.routers.get(mount.router);
          if (!child) continue;
          const applicable = active.filter((a) => covers(a.path, joinRoute(usePath, mount.prefix))).flatMap((a) => a.entries);
          this.walk(child, joinRoute(usePath, mount.prefix), [...inherited, ...applicable, ...entries], out, visiting, [...through, event.use.call]);
        }
        if (event.use.mounts.length === 0 && this.middlewareScope === "after") active.push(middlewareOf(event.use));
      } else if (event.route) {
        const full = joinRoute(base, event.route.path);
        const applicable = active.filter((a) => covers(a.path, full)).flatMap((a) => a.entries);
        const own = event.route.functions.flatMap((f) => this.entriesOf(f)).filter(runs);
        const { method, placeholders } = event.route;
        const methodStars = starCount(method);
        out.push({
          name: `${method} ${full}`,
          framework: this.framework,
          node: event.route.call,
          entries: [...inherited, ...applicable, ...own],
          // The prefix's `*`s come from mounts, which no caller of the registering helper fills in.
          ...(placeholders ? { placeholders: [...placeholders.slice(0, methodStars), ...Array.from({ length: starCount(base) }, () => undefined), ...placeholders.slice(methodStars)] } : {}),
          normalizeName: normalizeRouteName,
          ...(through.length > 0 ? { mountedThrough: through } : {}),
        });
      }
    }
    visiting.delete(node.key);
  }

  /**
   * The expression that made the router an expression refers to: through chains of `chainMethods` and through names
   * bound to such chains (`const api = Router().use(a)`, `export default Router().use("/api", api)`).
   */
  base(expression: ts.Expression): ts.Expression {
    let expr = this.unchain(expression);
    for (let depth = 0; depth < 5 && this.chainMethods.size > 0 && (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)); depth++) {
      const declaration = this.resolver.declarationsOf(expr)[0];
      const bound = declaration && (ts.isVariableDeclaration(declaration) ? declaration.initializer : ts.isExportAssignment(declaration) ? declaration.expression : undefined);
      if (!bound) break;
      expr = this.unchain(bound);
    }
    return expr;
  }

  private unchain(expression: ts.Expression): ts.Expression {
    let expr = skipOuterExpressions(expression);
    while (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && this.chainMethods.has(expr.expression.name.text)) {
      expr = skipOuterExpressions(expr.expression.expression);
    }
    return expr;
  }

  /**
   * A router a function receives (`applicationRoutes(managementRouter, tenant)`, `...[router]: Args`, `{ router }`) is the
   * router each call passes: mounted there, at the call's position, so the middleware used before the call applies.
   */
  private linkParameters(): void {
    for (const [key, declaration] of this.parameters) {
      for (const value of this.resolver.passedValues(declaration)) {
        const call = ts.findAncestor(value.parent, ts.isCallExpression);
        const target = this.keyOf(value);
        if (call && target && target !== key) this.router(target).uses.push({ path: "", call, middleware: [], mounts: [{ router: key, prefix: "" }] });
      }
    }
  }

  /** Identity of the router an expression refers to: the declaration it is bound to, or the call that made it. */
  keyOf(expression: ts.Expression): string | undefined {
    const expr = this.base(expression);
    if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
      const declaration = this.resolver.declarationsOf(expr)[0];
      if (declaration && (ts.isParameter(declaration) || (ts.isBindingElement(declaration) && !declaration.initializer))) this.parameters.set(nodeKey(declaration), declaration);
      if (declaration) return nodeKey(declaration);
    }
    if (ts.isCallExpression(expr) || ts.isNewExpression(expr)) return nodeKey(expr);
    return undefined;
  }

  /** Routers a mount argument denotes: a router variable, or a factory function returning one. */
  mountedKeys(expression: ts.Expression, isRouter: (e: ts.Expression) => boolean): string[] {
    const expr = skipOuterExpressions(expression);
    // A project factory's call mounts the router it returns, even when its type says it is a router.
    if (ts.isCallExpression(expr)) {
      const keys: string[] = [];
      for (const unit of this.resolver.functionTargets(expr.expression)) {
        const body = unit.node.body;
        if (!body) continue;
        const returned: ts.Expression[] = [];
        if (ts.isBlock(body)) {
          const visit = (n: ts.Node): void => {
            if (ts.isReturnStatement(n) && n.expression) returned.push(n.expression);
            if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
          };
          ts.forEachChild(body, visit);
        } else {
          returned.push(body);
        }
        for (const r of returned) if (isRouter(r)) keys.push(...[this.keyOf(r)].filter((k): k is string => k !== undefined));
      }
      if (keys.length > 0 || !isRouter(expr)) return keys;
    }
    if (!isRouter(expr)) return [];
    const key = this.keyOf(expr);
    return key ? [key] : [];
  }
}

/** When a registration runs: in a chain (`app.use(a).get("/x", h)`) every call starts where the chain does, so calls are ordered by where their callee ends. */
function callOrder(call: ts.CallExpression): number {
  return call.expression.getEnd();
}

function covers(prefix: string, path: string): boolean {
  return prefix === "/" || path === prefix || path.startsWith(prefix + "/");
}

/** The path a registration's first argument writes; `*` where it cannot be computed. */
export function routePath(resolver: Resolver, expression: ts.Expression | undefined): string {
  return nameText(resolver, expression).text;
}

/** `METHOD /a//b/` → `METHOD /a/b`, once a helper's caller has written its path into a route's name. */
export function normalizeRouteName(name: string): string {
  const space = name.indexOf(" ");
  return `${name.slice(0, space)} ${joinRoute(...name.slice(space + 1).split("/"))}`;
}

export function isPathArgument(expression: ts.Expression | undefined): boolean {
  if (!expression) return false;
  const expr = skipOuterExpressions(expression);
  return ts.isStringLiteralLike(expr) || ts.isTemplateExpression(expr) || ts.isArrayLiteralExpression(expr) && expr.elements.every((e) => ts.isStringLiteralLike(e));
}

/**
 * Flatten middleware arrays (`router.post("/x", [auth, validate], handler)`), nested or spread (`[...adminOnly, audit]`);
 * given a resolver, also arrays bound to a const (`const adminOnly = [auth, requireAdmin]`).
 */
export function flattenFunctions(args: readonly ts.Expression[], resolver?: Resolver, depth = 0): ts.Expression[] {
  return args.flatMap((a) => {
    const expr = skipOuterExpressions(a);
    if (ts.isArrayLiteralExpression(expr)) return flattenFunctions(expr.elements, resolver, depth);
    if (ts.isSpreadElement(expr)) return flattenFunctions([expr.expression], resolver, depth);
    const declaration = resolver && depth < 4 && ts.isIdentifier(expr) ? resolver.declarationsOf(expr)[0] : undefined;
    const bound = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const ? skipOuterExpressions(declaration.initializer) : undefined;
    return bound && ts.isArrayLiteralExpression(bound) ? flattenFunctions(bound.elements, resolver, depth + 1) : [a];
  });
}
