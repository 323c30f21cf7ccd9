// Local copies of coordinated state (SPECTRUM.md §1, leveraged): fields and module variables a coordination site writes its outcome to, and the reads of them that handlers can reach.
import { ts } from "ts-morph";
import type { Reachable } from "../calls/summaries.js";
import type { SiteKind } from "../model/report.js";
import { nodeKey, skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import type { DetectedSite } from "../sites/detect.js";
import { isLongLived } from "./long-lived.js";

/** A read of state some sites keep: the first in its function (one per function and state). */
export interface StateRead extends Reachable {
  unit: FunctionUnit;
  /** Indices of the sites whose outcome the state holds. */
  publishers: number[];
}

interface Published {
  publishers: Set<number>;
  /** The functions (or files, for top-level sites) of the publishing sites: reads there belong to the coordination itself. */
  scopes: ts.Node[];
}

/** Sites whose outcome is agreement across instances (who leads, who holds a lease, what the stored value is); an in-process lock or a transaction at start-up keeps nothing other instances agree on. */
const PUBLISHING_KINDS = new Set<SiteKind>(["lock", "consensus", "lease", "leader"]);

const ASSIGNMENTS = new Set([ts.SyntaxKind.EqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken]);

/**
 * State a site publishes: a field or module variable assigned, in the site's function (its callbacks included), after
 * the site ran: from its result (`this.leader = (await redis.set(…, "NX")) === "OK"`, through a variable holding it),
 * under a condition on it (`if (won) …`), in a callback handed to it or to a call on its result
 * (`campaign.on("elected", () => { this.leader = true })`), or below it (`await lease.keepaliveOnce(); this.alive = true`,
 * and in the `catch` of a `try` around it). Reads of that state in other functions are returned, one per function,
 * and through getters that return it.
 */
export function localCopyReads(index: CodeIndex, resolver: Resolver, sites: readonly DetectedSite[]): StateRead[] {
  const published = new Map<string, Published>();
  const names = new Set<string>();
  sites.forEach((detected, i) => {
    if (detected.site.delivery || !PUBLISHING_KINDS.has(detected.site.kind)) return;
    const scope = detected.unit?.node ?? detected.node.getSourceFile();
    for (const target of writesAfter(detected.node, scope, resolver)) {
      const declaration = resolver.declarationsOf(target)[0];
      if (!declaration) continue;
      const key = nodeKey(declaration);
      const entry = published.get(key) ?? { publishers: new Set<number>(), scopes: [] };
      entry.publishers.add(i);
      entry.scopes.push(scope);
      published.set(key, entry);
      names.add(ts.isPropertyAccessExpression(target) ? target.name.text : target.getText());
    }
  });
  if (published.size === 0) return [];

  const reads = new Map<string, StateRead>();
  // A getter returning published state publishes it too: `get isLeader() { return this.leading }`.
  for (let round = 0; round < 3; round++) {
    const before = published.size;
    for (const scan of index.files) collectReads(scan.sourceFile, index, resolver, published, names, reads);
    if (published.size === before) break;
  }
  return [...reads.values()].sort((a, b) => (a.unit.sourceFile.fileName < b.unit.sourceFile.fileName ? -1 : a.unit.sourceFile.fileName > b.unit.sourceFile.fileName ? 1 : a.pos - b.pos));
}

function collectReads(sourceFile: ts.SourceFile, index: CodeIndex, resolver: Resolver, published: Map<string, Published>, names: Set<string>, reads: Map<string, StateRead>): void {
  const visit = (node: ts.Node): void => {
    const named = ts.isPropertyAccessExpression(node) ? node.name : ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) ? node : undefined;
    if (named && names.has(named.text) && !isWritten(node) && !isCalledThrough(node)) {
      const declaration = resolver.declarationsOf(node)[0];
      const state = declaration && ts.getNameOfDeclaration(declaration as ts.Declaration) !== named && published.get(nodeKey(declaration));
      const unit = state ? enclosingUnit(node, index) : undefined;
      if (state && unit && !state.scopes.some((scope) => contains(scope, node))) {
        const key = `${unit.id}:${nodeKey(declaration)}`;
        if (!reads.has(key)) {
          const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
          reads.set(key, { unit, node, pos: node.getStart(sourceFile), line, publishers: [...state.publishers].sort((a, b) => a - b) });
        }
        if (ts.isGetAccessorDeclaration(unit.node)) {
          const getterKey = nodeKey(unit.node);
          const getter = published.get(getterKey) ?? { publishers: new Set<number>(), scopes: [] };
          for (const p of state.publishers) getter.publishers.add(p);
          published.set(getterKey, getter);
          if (ts.isIdentifier(unit.node.name)) names.add(unit.node.name.text);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
}

/** Long-lived targets assigned in `scope` after the site `site` ran, as described above. */
function writesAfter(site: ts.Node, scope: ts.Node, resolver: Resolver): ts.Expression[] {
  const bound = boundNames(site, scope);
  const targets: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind)) {
      const target = skipOuterExpressions(node.left);
      if ((ts.isPropertyAccessExpression(target) || ts.isIdentifier(target)) && isLongLived(target, resolver) && follows(node, site, scope, bound)) targets.push(target);
    }
    ts.forEachChild(node, visit);
  };
  visit(scope);
  return targets;
}

/** Whether an assignment runs after, and because of, the site (see localCopyReads). */
function follows(assignment: ts.BinaryExpression, site: ts.Node, scope: ts.Node, bound: Set<string>): boolean {
  const fromSite = (node: ts.Node): boolean => contains(node, site) || mentions(node, bound);
  if (fromSite(assignment.right)) return true;
  for (let child: ts.Node = assignment, parent = assignment.parent; parent && child !== scope; child = parent, parent = parent.parent) {
    if ((ts.isIfStatement(parent) || ts.isWhileStatement(parent)) && parent.expression !== child && fromSite(parent.expression)) return true;
    if (ts.isConditionalExpression(parent) && parent.condition !== child && fromSite(parent.condition)) return true;
    if (isFunctionNode(child)) {
      // Only a callback handed to a call runs because of what surrounds it; a method or function declared here does not.
      if (!ts.isCallExpression(parent) || !parent.arguments.includes(child as ts.Expression)) return false;
      if (parent === site || fromSite(parent.expression)) return true;
    }
    if (ts.isCatchClause(child) && ts.isTryStatement(parent) && contains(parent.tryBlock, site)) return true;
    if ((ts.isBlock(parent) || ts.isSourceFile(parent)) && !contains(child, site)) {
      const at = parent.statements.indexOf(child as ts.Statement);
      if (parent.statements.slice(0, at).some((statement) => contains(statement, site))) return true;
    }
  }
  return false;
}

/** Local names bound to the site's result: `const won = await redis.set(…)`, `const { rows } = await pool.query(…)`. */
function boundNames(site: ts.Node, scope: ts.Node): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.initializer && contains(node.initializer, site)) bind(node.name);
    ts.forEachChild(node, visit);
  };
  visit(scope);
  return names;
}

/** `this.saveWithTags.immediate(…)`, `this.lease.put(…)`, `this.run(…)`: a client or function kept in the field is used, not a copy of state read. */
function isCalledThrough(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isCallExpression(parent) && parent.expression === node) return true;
  return (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) && parent.expression === node && ts.isCallExpression(parent.parent) && parent.parent.expression === parent;
}

function isWritten(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isBinaryExpression(parent) && parent.left === node && ASSIGNMENTS.has(parent.operatorToken.kind);
}

function enclosingUnit(node: ts.Node, index: CodeIndex): FunctionUnit | undefined {
  const fn = ts.findAncestor(node.parent, isFunctionNode);
  return fn ? index.unitOf(fn) : undefined;
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return inner.getSourceFile() === outer.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

function mentions(node: ts.Node, names: Set<string>): boolean {
  if (names.size === 0) return false;
  if (ts.isIdentifier(node)) return names.has(node.text);
  return ts.forEachChild(node, (child) => (mentions(child, names) ? true : undefined)) ?? false;
}
