// Locks held as their key (SET NX, SETNX, memcached add): the sites on the same key around them are the lock's release or renewal, not data logic.
import { ts } from "ts-morph";
import type { SiteKind } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import type { ResourceSource } from "./resource.js";
import type { LoadedRule } from "./rules.js";

export interface KeyedSite {
  site: { kind: SiteKind };
  node: ts.Node;
  unit: FunctionUnit | undefined;
  rule: LoadedRule;
  resourceSource?: ResourceSource;
  /** For a lock held as its key: the functions its release or renewal sites were found in. */
  releasedIn?: FunctionUnit[];
}

/**
 * Without the sites that release or renew a lock held as its key (a DEL in a `finally`, the EXPIRE after a SETNX, a
 * compare-and-delete script), recording where they were on the lock's site: a non-monotonic site or a Lua
 * compare-and-set of the lock's library, on the same key, in the function that takes the lock or, when the lock
 * states a time to live, anywhere in its class (else its module). A key claimed for good is data (a uniqueness
 * claim): its other writes are data logic. A key that is a bare parameter (`del(key)`) is the lock's only within
 * the function that takes it.
 */
export function withoutLockReleases<T extends KeyedSite>(found: T[], resolver: Resolver, expires: (site: T) => boolean): T[] {
  const holders = found.filter((d) => d.rule.held === "key" && d.resourceSource);
  if (holders.length === 0) return found;
  const keys = new Map<T, LockKey | undefined>();
  const keyOf = (d: T): LockKey | undefined => {
    if (!keys.has(d)) keys.set(d, d.resourceSource ? lockKey(d.resourceSource.node, resolver) : undefined);
    return keys.get(d);
  };
  const sameKey = (holder: T, other: T): boolean => {
    if (!other.rule.modules.some((m) => holder.rule.modules.includes(m)) || scopeOf(other.node) !== scopeOf(holder.node)) return false;
    const key = keyOf(holder);
    const otherKey = keyOf(other);
    if (!key || !otherKey || otherKey.text !== key.text) return false;
    return (!(key.bare || otherKey.bare) && expires(holder)) || outermost(other.unit) === outermost(holder.unit);
  };
  const dropped = new Set<T>();
  for (const other of found) {
    if (!(other.site.kind === "non-monotonic" || (other.site.kind === "lock" && other.rule.match.lua))) continue;
    const locks = holders.filter((holder) => sameKey(holder, other));
    if (locks.length === 0) continue;
    dropped.add(other);
    // A function that takes the lock itself releases its own; a release elsewhere is every such lock's.
    const own = locks.filter((holder) => outermost(holder.unit) === outermost(other.unit));
    if (other.unit) for (const holder of own.length > 0 ? own : locks) (holder.releasedIn ??= []).push(other.unit);
  }
  return found.filter((d) => !dropped.has(d));
}

interface LockKey {
  /** The key as written, with the function's local consts replaced by what they hold, whitespace removed. */
  text: string;
  /** The key is a parameter of the function, passed as is. */
  bare: boolean;
}

function lockKey(node: ts.Expression, resolver: Resolver): LockKey {
  let expr = skipOuterExpressions(node);
  // A script's key list of one key (`[key]`) names that key.
  if (ts.isArrayLiteralExpression(expr) && expr.elements.length === 1) expr = skipOuterExpressions(expr.elements[0]!);
  let last = expr;
  for (let depth = 0; ts.isIdentifier(last) && depth < 4; depth++) {
    const init = localConst(last, resolver);
    if (!init) break;
    last = skipOuterExpressions(init);
  }
  const bare = ts.isIdentifier(last) && resolver.declarationsOf(last).some(ts.isParameter);
  return { text: expand(expr, resolver, 0).replace(/\s+/g, ""), bare };
}

/** The expression's text with each local const it mentions replaced by its initializer (`key` → `` `lock:${id}` ``). */
function expand(node: ts.Expression, resolver: Resolver, depth: number): string {
  if (depth > 4) return node.getText();
  if (ts.isIdentifier(node)) {
    const init = localConst(node, resolver);
    return init ? expand(skipOuterExpressions(init), resolver, depth + 1) : node.text;
  }
  const start = node.getStart();
  const replacements: { from: number; to: number; text: string }[] = [];
  const visit = (child: ts.Node): void => {
    if (ts.isIdentifier(child)) {
      const isName = (ts.isPropertyAccessExpression(child.parent) && child.parent.name === child) || (ts.isPropertyAssignment(child.parent) && child.parent.name === child);
      const init = isName ? undefined : localConst(child, resolver);
      if (init) replacements.push({ from: child.getStart() - start, to: child.getEnd() - start, text: expand(skipOuterExpressions(init), resolver, depth + 1) });
      return;
    }
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node, visit);
  let text = node.getText();
  for (const r of replacements.sort((a, b) => b.from - a.from)) text = text.slice(0, r.from) + r.text + text.slice(r.to);
  return text;
}

/** The initializer of a `const` declared inside a function (a module-level const names itself: the same everywhere). */
function localConst(identifier: ts.Identifier, resolver: Resolver): ts.Expression | undefined {
  const declaration = resolver.declarationsOf(identifier)[0];
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return undefined;
  if (!(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) || !ts.findAncestor(declaration, isFunctionNode)) return undefined;
  return declaration.initializer;
}

/** A lock's scope: its class, else its module. */
function scopeOf(node: ts.Node): ts.Node {
  return ts.findAncestor(node, ts.isClassLike) ?? node.getSourceFile();
}

function outermost(unit: FunctionUnit | undefined): FunctionUnit | undefined {
  let current = unit;
  while (current?.inline && current.parent) current = current.parent;
  return current;
}
