// State that outlives a request: instance fields (`this.x`), module-level variables, static members, and what hangs off them.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";

/** Whether `expr` reads or names such state: `this.next`, `this.block.max`, `ceiling` (a module `let`), `Elector.leading`, `state.tokens`. */
export function isLongLived(expr: ts.Expression, resolver: Resolver): boolean {
  const start = skipOuterExpressions(expr);
  let root = start;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipOuterExpressions(root.expression);
  if (root.kind === ts.SyntaxKind.ThisKeyword) return root !== start;
  if (!ts.isIdentifier(root)) return false;
  const declaration = resolver.declarationsOf(root)[0];
  if (!declaration) return false;
  if (ts.isVariableDeclaration(declaration)) return ts.isVariableDeclarationList(declaration.parent) && ts.isVariableStatement(declaration.parent.parent) && ts.isSourceFile(declaration.parent.parent.parent);
  return ts.isClassDeclaration(declaration);
}

/** The text of a state access with whitespace removed, for comparing what a condition tests with what a branch assigns. */
export function stateText(expr: ts.Expression): string {
  return skipOuterExpressions(expr).getText().replace(/\s+/g, "").replace(/\?\./g, ".");
}
