// Guard scopes: the code each lock and transaction site covers (its callback, the statements up to its release or COMMIT, a decorated method), and how strongly it guards.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { FunctionUnit } from "../scan/units.js";
import { mentions, type DetectedSite } from "../sites/detect.js";

/**
 * How strongly coordination guards what runs inside it (DECISIONS.md, Guards): a transaction at READ COMMITTED (the default
 * when none is stated), REPEATABLE READ or snapshot, SERIALIZABLE, and a lock. Nested scopes take the strongest; a function
 * reached along several paths, the weakest path's.
 */
export const GUARD = { none: 0, readCommitted: 1, repeatableRead: 2, serializable: 3, lock: 4 } as const;
export type GuardLevel = (typeof GUARD)[keyof typeof GUARD];

export interface GuardScope {
  /** Index of the site that opens it. */
  site: number;
  unit: FunctionUnit | undefined;
  /** Positions it covers in the unit's file; the whole unit for a decorated method. */
  from: number;
  to: number;
  level: GuardLevel;
  transaction: boolean;
  /** Whether the code it covers is all in view: false for an acquire whose release is not in its block (the lock outlives the function). */
  closed: boolean;
  /**
   * The parameter a transaction's callback receives (`tx`, `t`, `manager`): a call inside it runs in the transaction only
   * when it goes through or passes that value; `prisma.x.update()` or `Model.update()` without `{ transaction: t }` does not.
   */
  parameter?: string;
}

const GUARDING_KINDS = new Set(["lock", "local-lock", "consensus", "transaction"]);

/** Methods that end what an acquire or BEGIN opened, further down the same block. */
const RELEASES = /^(release|unlock|releaseLock|commit|commitTransaction|rollback|rollbackTransaction|end|abort|abortTransaction|done)$/;
const COMMIT_SQL = /^\s*(COMMIT|ROLLBACK|END)\b/i;

export function guardLevelOf(site: DetectedSite["site"], optimistic = false): GuardLevel {
  if (site.kind !== "transaction") return GUARD.lock;
  if (optimistic) return GUARD.serializable;
  switch (site.isolation) {
    case "SERIALIZABLE":
      return GUARD.serializable;
    case "REPEATABLE READ":
    case "SNAPSHOT":
      return GUARD.repeatableRead;
    default:
      return GUARD.readCommitted;
  }
}

/** The scopes each unit holds, by unit id (`undefined` key: top-level code). */
export function guardScopes(sites: readonly DetectedSite[]): Map<number | undefined, GuardScope[]> {
  const scopes = new Map<number | undefined, GuardScope[]>();
  const add = (scope: GuardScope): void => {
    const key = scope.unit?.id;
    scopes.set(key, [...(scopes.get(key) ?? []), scope]);
  };
  sites.forEach((detected, index) => {
    const { site, node, unit } = detected;
    if (!GUARDING_KINDS.has(site.kind) || site.delivery) return;
    const level = guardLevelOf(site, detected.rule.optimistic === true);
    const transaction = site.kind === "transaction";
    if (ts.isDecorator(node)) {
      if (unit) add({ site: index, unit, from: unit.node.pos, to: unit.node.end, level, transaction, closed: true });
      return;
    }
    if (!ts.isCallExpression(node) && !ts.isNewExpression(node) && !ts.isTaggedTemplateExpression(node)) return;
    const args = ts.isTaggedTemplateExpression(node) ? [] : [...(node.arguments ?? [])];
    const callback = args.map((a) => skipOuterExpressions(a)).find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a)) as ts.ArrowFunction | ts.FunctionExpression | undefined;
    const batch = args.some((a) => ts.isArrayLiteralExpression(skipOuterExpressions(a)) && skipOuterExpressions(a).getText().includes("("));
    if (callback || (batch && transaction)) {
      const first = transaction ? callback?.parameters[0]?.name : undefined;
      const parameter = first && ts.isIdentifier(first) ? first.text : undefined;
      add({ site: index, unit, from: args[0]!.getStart(), to: args[args.length - 1]!.end, level, transaction, closed: true, ...(parameter ? { parameter } : {}) });
      return;
    }
    // A wrapper's use site without a callback (a `transaction()` middleware in a route's list) guards the handler, not a block.
    // An acquire, an advisory or table lock, or a transaction begun without a callback covers what follows; a global counter's write (a `lock` only by its cost) does not.
    const opens = detected.rule.match.args?.constantResource !== true;
    // A lock held as its key ends at the next call on that key (its DEL, its compare-and-delete script).
    const key = detected.rule.held === "key" && ts.isCallExpression(node) && node.arguments[0] ? node.arguments[0].getText() : undefined;
    const open = detected.primitive === undefined && opens ? openEnded(node, key) : undefined;
    if (open) add({ site: index, unit, ...open, level, transaction });
  });
  return scopes;
}

/** An acquire or BEGIN without a callback covers the rest of its block, up to the first release or COMMIT after it. */
function openEnded(call: ts.Node, key: string | undefined): { from: number; to: number; closed: boolean } | undefined {
  let block: ts.Node = call;
  while (block.parent && !ts.isBlock(block.parent) && !ts.isSourceFile(block.parent) && !ts.isModuleBlock(block.parent)) block = block.parent;
  const holder = block.parent;
  if (!holder) return undefined;
  const from = call.end;
  let to = holder.end;
  const visit = (node: ts.Node): void => {
    if (node.pos >= to) return;
    if (node.getStart() > from && ts.isCallExpression(node) && (endsScope(node) || (key !== undefined && node.arguments.some((a) => a.getText() === key)))) {
      to = Math.min(to, node.getStart());
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(holder, visit);
  return { from, to, closed: to < holder.end };
}

function endsScope(call: ts.CallExpression): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (ts.isPropertyAccessExpression(callee) && RELEASES.test(callee.name.text)) return true;
  const first = call.arguments[0] && skipOuterExpressions(call.arguments[0]);
  return first !== undefined && ts.isStringLiteralLike(first) && COMMIT_SQL.test(first.text);
}

/** The strongest scope of the unit covering a node (a call, an operation, a callback written there). */
export function levelAt(scopes: readonly GuardScope[] | undefined, node: ts.Node): GuardLevel {
  let level: GuardLevel = GUARD.none;
  for (const scope of scopes ?? []) if (scope.level > level && covers(scope, node)) level = scope.level;
  return level;
}

/** The scope holds the node, and the node goes through the transaction's own client when the callback names one. */
export function covers(scope: GuardScope, node: ts.Node): boolean {
  const pos = node.getStart();
  return pos >= scope.from && pos < scope.to && (scope.parameter === undefined || mentions(node, scope.parameter));
}
