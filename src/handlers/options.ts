// Registration options written as object literals (`{ id, run }`, `{ taskQueue, activities }`): the object behind an expression and what its properties hold.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, type HandlerEntry } from "./finder.js";

/** The object literal an expression is, or holds through `const` variables (in place, or imported from another file). */
export function objectOf(resolver: Resolver, expression: ts.Expression | undefined, depth = 0): ts.ObjectLiteralExpression | undefined {
  if (!expression || depth > 4) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr).find((d) => (ts.isVariableDeclaration(d) || ts.isPropertyAssignment(d)) && d.initializer !== undefined) as ts.VariableDeclaration | ts.PropertyAssignment | undefined;
  return declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? objectOf(resolver, declaration.initializer, depth + 1) : undefined;
}

/** The member of an object literal with this name. */
export function memberOf(object: ts.ObjectLiteralExpression | undefined, name: string): ts.ObjectLiteralElementLike | undefined {
  return object?.properties.find((p) => p.name !== undefined && propertyNameText(p.name) === name);
}

/** The value written for a property (`id: "x"`, shorthand `{ id }`); a method has none. */
export function valueOf(object: ts.ObjectLiteralExpression | undefined, name: string): ts.Expression | undefined {
  const member = memberOf(object, name);
  if (!member) return undefined;
  if (ts.isPropertyAssignment(member)) return member.initializer;
  if (ts.isShorthandPropertyAssignment(member)) return member.name;
  return undefined;
}

/** What runs for a function-valued property: a method, an inline function, a reference, a factory's result. */
export function memberEntry(resolver: Resolver, member: ts.ObjectLiteralElementLike | undefined): HandlerEntry | undefined {
  if (!member) return undefined;
  if (ts.isMethodDeclaration(member)) {
    const unit = resolver.index.unitOf(member);
    return unit ? { units: [unit] } : undefined;
  }
  if (ts.isPropertyAssignment(member)) return entryOf(resolver, member.initializer);
  if (ts.isShorthandPropertyAssignment(member)) return entryOf(resolver, member.name);
  return undefined;
}
