// Amortised coordination (SPECTRUM.md §1, leveraged): coordination reached only when a cached read misses or a local budget runs out.
import { ts } from "ts-morph";
import type { PathFrame } from "../calls/summaries.js";
import type { Amortisation } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import { isLongLived, stateText } from "./long-lived.js";

/** How the call path to a site is amortised, if a step of it runs only on a cache miss or when a local budget ran out. */
export function amortisationOf(frames: readonly PathFrame[], resolver: Resolver): Amortisation | undefined {
  const steps = frames.flatMap((frame) => frame.steps);
  if (steps.some((step) => afterCacheMiss(step.node, step.unit))) return "cache-miss";
  if (steps.some((step) => afterBudgetExhausted(step.node, step.unit, resolver))) return "budget-exhausted";
  return undefined;
}

/** Names that say a value came from a cache: the variable, the call, or the class it is read through. */
const CACHE_WORDS = /cache|cached|redis|memo|lru|hit/i;

/**
 * Whether `node`, in `unit`, runs only when a cache read missed: it comes after `if (cached) return …` on a value read
 * from a cache in the same function, or sits in the branch of `if (!cached)` (or `=== undefined`, `== null`).
 */
export function afterCacheMiss(node: ts.Node, unit: FunctionUnit): boolean {
  const body = unit.node.body;
  if (!body) return false;
  const cacheValues = cachedReads(unit);
  if (cacheValues.size === 0) return false;
  for (let child: ts.Node = node, parent = node.parent; parent && child !== body; child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) && parent.thenStatement === child && testsMiss(parent.expression, cacheValues)) return true;
    if (ts.isIfStatement(parent) && parent.elseStatement === child && testsHit(parent.expression, cacheValues)) return true;
    if (ts.isBlock(parent) || ts.isSourceFile(parent)) {
      for (const statement of parent.statements) {
        if (statement === child) break;
        if (ts.isIfStatement(statement) && testsHit(statement.expression, cacheValues) && returns(statement.thenStatement)) return true;
      }
    }
    if (isFunctionNode(parent) && parent !== unit.node) return false;
  }
  return false;
}

/** Variables of the function holding a value read from a cache (`const cached = await redis.get(key)`). */
function cachedReads(unit: FunctionUnit): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (isFunctionNode(node) && node !== unit.node) return;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const init = skipOuterExpressions(node.initializer);
      if (ts.isCallExpression(init) && isCacheRead(init, node.name.text, unit)) names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  if (unit.node.body) visit(unit.node.body);
  return names;
}

function isCacheRead(call: ts.CallExpression, variable: string, unit: FunctionUnit): boolean {
  const callee = skipOuterExpressions(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !/^(get|mget|hget|hgetall|getItem|getData|getEx|fetch|read|lookup)/i.test(callee.name.text)) return false;
  const owner = ts.findAncestor(unit.node, ts.isClassLike);
  return CACHE_WORDS.test(variable) || CACHE_WORDS.test(callee.expression.getText()) || (owner?.name !== undefined && CACHE_WORDS.test(owner.name.text));
}

/** `cached`, `cached !== undefined`, `cached != null`, `cached !== null`. */
function testsHit(condition: ts.Expression, names: Set<string>): boolean {
  const expr = skipOuterExpressions(condition);
  if (ts.isIdentifier(expr)) return names.has(expr.text);
  if (ts.isBinaryExpression(expr) && isNullish(expr.right) && ts.isIdentifier(skipOuterExpressions(expr.left))) {
    const kind = expr.operatorToken.kind;
    return names.has((skipOuterExpressions(expr.left) as ts.Identifier).text) && (kind === ts.SyntaxKind.ExclamationEqualsEqualsToken || kind === ts.SyntaxKind.ExclamationEqualsToken);
  }
  return false;
}

/** `!cached`, `cached === undefined`, `cached == null`, `cached === null`. */
function testsMiss(condition: ts.Expression, names: Set<string>): boolean {
  const expr = skipOuterExpressions(condition);
  if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.ExclamationToken) return testsHit(expr.operand, names) && ts.isIdentifier(skipOuterExpressions(expr.operand));
  if (ts.isBinaryExpression(expr) && isNullish(expr.right) && ts.isIdentifier(skipOuterExpressions(expr.left))) {
    const kind = expr.operatorToken.kind;
    return names.has((skipOuterExpressions(expr.left) as ts.Identifier).text) && (kind === ts.SyntaxKind.EqualsEqualsEqualsToken || kind === ts.SyntaxKind.EqualsEqualsToken);
  }
  return false;
}

function isNullish(expr: ts.Expression): boolean {
  return expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined");
}

/** A branch that leaves the function: `return …` or a block ending in one. */
function returns(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement)) return true;
  return ts.isBlock(statement) && statement.statements.length > 0 && ts.isReturnStatement(statement.statements[statement.statements.length - 1]!);
}

/**
 * Whether `node`, in `unit`, runs only when a budget held in long-lived state ran out, and the same code refills it:
 * inside `if (this.next >= this.max) { …; this.max = hi }` (an id block), `if (this.tokens <= 0)` (a rate budget),
 * `if (Date.now() >= this.expiresAt)` (a lease term), or after `if (this.next < this.max) return …` with the refill
 * below. A refill is a plain assignment of a tested field or variable (or of what holds it) that does not read its
 * own value (`this.count = this.count + 1` is spending, not refilling), here or in a function called from here.
 */
export function afterBudgetExhausted(node: ts.Node, unit: FunctionUnit, resolver: Resolver): boolean {
  const body = unit.node.body;
  if (!body) return false;
  for (let child: ts.Node = node, parent = node.parent; parent && child !== body; child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent) && (parent.thenStatement === child || parent.elseStatement === child)) {
      const tested = budgetTests(parent.expression, resolver);
      if (tested.size > 0 && refills([child as ts.Statement], tested, resolver)) return true;
    }
    if (ts.isBlock(parent)) {
      const at = parent.statements.indexOf(child as ts.Statement);
      for (const statement of parent.statements.slice(0, at)) {
        if (!ts.isIfStatement(statement) || !leaves(statement.thenStatement)) continue;
        const tested = budgetTests(statement.expression, resolver);
        if (tested.size > 0 && refills(parent.statements.slice(at), tested, resolver)) return true;
      }
    }
    if (isFunctionNode(parent) && parent !== unit.node) return false;
  }
  return false;
}

const COMPARISONS = new Set([
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);
const EQUALITIES = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

/** The long-lived state a condition compares (`this.next >= this.max`, `tokens <= 0`, `!this.ids.length`, `this.left === 0`), through `||`, `&&` and `!`. */
function budgetTests(condition: ts.Expression, resolver: Resolver): Set<string> {
  const tested = new Set<string>();
  const state = (side: ts.Expression): void => {
    let expr = skipOuterExpressions(side);
    if (ts.isPropertyAccessExpression(expr) && expr.name.text === "length") expr = skipOuterExpressions(expr.expression);
    if ((ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) || ts.isIdentifier(expr)) && isLongLived(expr, resolver)) tested.add(stateText(expr));
  };
  const visit = (node: ts.Expression): void => {
    const expr = skipOuterExpressions(node);
    if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.ExclamationToken) {
      const operand = skipOuterExpressions(expr.operand);
      if (ts.isPropertyAccessExpression(operand) && operand.name.text === "length") state(operand);
      else visit(operand);
      return;
    }
    if (!ts.isBinaryExpression(expr)) return;
    const op = expr.operatorToken.kind;
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.AmpersandAmpersandToken) {
      visit(expr.left);
      visit(expr.right);
    } else if (COMPARISONS.has(op)) {
      state(expr.left);
      state(expr.right);
    } else if (EQUALITIES.has(op) && (ts.isNumericLiteral(skipOuterExpressions(expr.right)) || ts.isNumericLiteral(skipOuterExpressions(expr.left)))) {
      state(expr.left);
      state(expr.right);
    }
  };
  visit(condition);
  return tested;
}

/** Whether these statements (or the project functions they call) assign a tested state, or what holds it, afresh. */
function refills(statements: readonly ts.Statement[], tested: Set<string>, resolver: Resolver): boolean {
  const isRefill = (node: ts.BinaryExpression): boolean => {
    const op = node.operatorToken.kind;
    if (op !== ts.SyntaxKind.EqualsToken && op !== ts.SyntaxKind.QuestionQuestionEqualsToken && op !== ts.SyntaxKind.BarBarEqualsToken) return false;
    const target = stateText(node.left);
    if (![...tested].some((t) => t === target || t.startsWith(`${target}.`) || t.startsWith(`${target}[`))) return false;
    return !reads(node.right, target);
  };
  const seen = new Set<ts.Node>();
  const search = (node: ts.Node, depth: number): boolean => {
    if (ts.isBinaryExpression(node) && isRefill(node)) return true;
    if (depth > 0 && ts.isCallExpression(node)) {
      for (const target of resolver.functionTargets(node.expression)) {
        if (seen.has(target.node) || !target.node.body) continue;
        seen.add(target.node);
        if (search(target.node.body, depth - 1)) return true;
      }
    }
    return ts.forEachChild(node, (child) => (search(child, depth) ? true : undefined)) ?? false;
  };
  return statements.some((statement) => search(statement, 1));
}

function reads(expr: ts.Expression, target: string): boolean {
  const visit = (node: ts.Node): boolean => {
    if ((ts.isPropertyAccessExpression(node) || ts.isIdentifier(node) || ts.isElementAccessExpression(node)) && stateText(node as ts.Expression) === target) return true;
    return ts.forEachChild(node, visit) ?? false;
  };
  return visit(expr);
}

/** A branch that leaves the function: `return …` or `throw …`, or a block ending in one. */
function leaves(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement) || ts.isThrowStatement(statement)) return true;
  return ts.isBlock(statement) && statement.statements.length > 0 && leaves(statement.statements[statement.statements.length - 1]!);
}
