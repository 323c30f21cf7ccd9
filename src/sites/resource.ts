// The resource a site coordinates on (lock name, key, row): its text as written and whether every request shares it, through wrapper parameters.
import { ts } from "ts-morph";
import type { Resource } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";

/**
 * Where a resource is written, and what the parameters it mentions were given: a wrapper's use site
 * `withLock(\`order:${id}\`, fn)` sees the primitive's `[key]` with `key` bound to `` `order:${id}` ``.
 */
export interface ResourceSource {
  node: ts.Expression;
  /** Parameter declaration → the argument a caller passed for it. */
  bindings: ReadonlyMap<ts.Node, ts.Expression>;
}

const MAX_LENGTH = 120;

export function renderResource(source: ResourceSource, resolver: Resolver): Resource {
  const expression = render(source.node, source.bindings, resolver, 0).replace(/\s+/g, " ").slice(0, MAX_LENGTH);
  return { expression, constant: isConstant(source.node, source.bindings, resolver, 0) };
}

/** The node's text with every bound parameter replaced by what was passed for it. */
function render(node: ts.Expression, bindings: ReadonlyMap<ts.Node, ts.Expression>, resolver: Resolver, depth: number): string {
  const text = node.getText();
  if (bindings.size === 0 || depth > 4) return text;
  const start = node.getStart();
  const replacements: { from: number; to: number; text: string }[] = [];
  const visit = (child: ts.Node): void => {
    if (ts.isIdentifier(child)) {
      const bound = boundValue(child, bindings, resolver);
      if (bound) replacements.push({ from: child.getStart() - start, to: child.getEnd() - start, text: render(bound, bindings, resolver, depth + 1) });
      return;
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  let out = text;
  for (const r of replacements.sort((a, b) => b.from - a.from)) out = out.slice(0, r.from) + r.text + out.slice(r.to);
  return out;
}

function boundValue(identifier: ts.Identifier, bindings: ReadonlyMap<ts.Node, ts.Expression>, resolver: Resolver): ts.Expression | undefined {
  // Property names (`a.key`) are not references.
  if (ts.isPropertyAccessExpression(identifier.parent) && identifier.parent.name === identifier) return undefined;
  const declaration = resolver.declarationsOf(identifier)[0];
  return declaration ? bindings.get(declaration) : undefined;
}

/** Same value for every request: literals, arrays and templates of them, `const` names and enum members bound to them. */
export function isConstant(value: ts.Expression, bindings: ReadonlyMap<ts.Node, ts.Expression>, resolver: Resolver, depth: number): boolean {
  const expr = skipOuterExpressions(value);
  if (ts.isStringLiteralLike(expr) || ts.isNumericLiteral(expr)) return true;
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.length > 0 && expr.elements.every((e) => isConstant(e, bindings, resolver, depth));
  if (ts.isTemplateExpression(expr)) return expr.templateSpans.every((s) => isConstant(s.expression, bindings, resolver, depth));
  // `{ name: "invoice" }`: the same row for every request.
  if (ts.isObjectLiteralExpression(expr)) {
    return expr.properties.length > 0 && expr.properties.every((p) => ts.isPropertyAssignment(p) && isConstant(p.initializer, bindings, resolver, depth));
  }
  if ((ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) && depth < 4) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (!declaration) return false;
    const bound = bindings.get(declaration);
    if (bound) return isConstant(bound, bindings, resolver, depth + 1);
    if (ts.isVariableDeclaration(declaration) && declaration.initializer && ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) {
      return isConstant(declaration.initializer, bindings, resolver, depth + 1);
    }
    if (ts.isEnumMember(declaration) || (ts.isPropertyDeclaration(declaration) && declaration.initializer && isReadonlyStatic(declaration))) return true;
    if (ts.isPropertyAssignment(declaration) && inConstObject(declaration)) return isConstant(declaration.initializer, bindings, resolver, depth + 1);
  }
  return false;
}

/** A property of an object literal bound to a `const` (`const QUEUES = { emails: "emails" } as const`). */
function inConstObject(property: ts.PropertyAssignment): boolean {
  let holder: ts.Node = property.parent.parent;
  while (ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder) || ts.isParenthesizedExpression(holder) || ts.isPropertyAssignment(holder) || ts.isObjectLiteralExpression(holder)) holder = holder.parent;
  return ts.isVariableDeclaration(holder) && (ts.getCombinedNodeFlags(holder) & ts.NodeFlags.Const) !== 0;
}

function isReadonlyStatic(declaration: ts.PropertyDeclaration): boolean {
  const modifiers = ts.getModifiers(declaration) ?? [];
  return modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) && modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
}
