// Amortised coordination (SPECTRUM.md §1, leveraged): a lock or transaction reached only when a cached read misses.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";

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
