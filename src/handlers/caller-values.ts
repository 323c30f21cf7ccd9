// What a registration takes from its caller: the parameter or loop variable an expression reads, and names computed with `*` for what only the caller knows.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";

/** What one `*` of a handler's name stands for. */
export interface NamePlaceholder {
  /** The expression whose value the `*` is. */
  expression: ts.Expression;
  /** The property of that value the name is made from (`url` when `app.route(route)` registers a route object). */
  property?: string[];
  /** How a value is written into the name (a method upper-cased). */
  format?: (text: string) => string;
}

/** Text computed from code, `*` where a value is not known there, and what each `*` stands for (undefined for a `*` the code writes). */
export interface NameText {
  text: string;
  placeholders: (NamePlaceholder | undefined)[];
}

/** A value a function or a loop receives: the parameter or `for…of` variable it is read from, and the properties read from it. */
export interface ReceivedValue {
  binding: ts.ParameterDeclaration | ts.VariableDeclaration;
  /** `opts.handler` and `({ handler }) =>` read `["handler"]`. */
  property: string[];
  /** A change of case the code applies (`method.toLowerCase()`). */
  format?: (text: string) => string;
}

const CASE_CHANGES: Record<string, (text: string) => string> = { toLowerCase: (t) => t.toLowerCase(), toUpperCase: (t) => t.toUpperCase() };

/** The text of a string literal, or of a template with each substitution written `*` and recorded. */
export function literalNameText(expression: ts.Expression | undefined): NameText | undefined {
  if (!expression) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteralLike(expr)) return written(expr.text);
  if (!ts.isTemplateExpression(expr)) return undefined;
  const parts = [written(expr.head.text), ...expr.templateSpans.flatMap((span) => [{ text: "*", placeholders: [{ expression: span.expression }] }, written(span.literal.text)])];
  return concat(parts);
}

/** A name part read from code: a literal, a template, a name bound to one; otherwise `*` standing for the expression. */
export function nameText(resolver: Resolver, expression: ts.Expression | undefined): NameText {
  if (!expression) return { text: "", placeholders: [] };
  const literal = literalNameText(expression);
  if (literal) return literal;
  const expr = skipOuterExpressions(expression);
  // A value received from a caller is not the literal its type was inferred from (`route.path` of a route table's first element).
  if ((ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) && !receivedValue(resolver, expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (declaration && (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertyAssignment(declaration) || ts.isEnumMember(declaration)) && declaration.initializer) {
      const text = literalNameText(declaration.initializer);
      if (text) return text;
    }
  }
  return { text: "*", placeholders: [{ expression }] };
}

/** Name parts in order, their `*`s and placeholders kept aligned. */
export function concat(parts: NameText[]): NameText {
  return { text: parts.map((p) => p.text).join(""), placeholders: parts.flatMap((p) => p.placeholders) };
}

/** Text the code writes: each `*` in it is literal. */
export function written(text: string): NameText {
  return { text, placeholders: Array.from({ length: starCount(text) }, () => undefined) };
}

export function starCount(text: string): number {
  let count = 0;
  for (const c of text) if (c === "*") count++;
  return count;
}

/**
 * The parameter or `for…of` variable an expression reads, with the properties read from it: `handler`, `opts.handler`,
 * `route.fn.bind(this)`, a name destructured from a parameter (`({ url, handler }) =>`), a local bound to one of these,
 * `...handlers` for a rest parameter. Undefined for anything else.
 */
export function receivedValue(resolver: Resolver, expression: ts.Expression, depth = 0): ReceivedValue | undefined {
  if (depth > 6) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isSpreadElement(expr)) return receivedValue(resolver, expr.expression, depth + 1);
  if (ts.isCallExpression(expr)) {
    const callee = skipOuterExpressions(expr.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    // `fn.bind(this)` runs fn; `method.toLowerCase()` is the method in another case.
    if (callee.name.text === "bind") return receivedValue(resolver, callee.expression, depth + 1);
    const change = CASE_CHANGES[callee.name.text];
    const inner = change && expr.arguments.length === 0 ? receivedValue(resolver, callee.expression, depth + 1) : undefined;
    return inner && { ...inner, format: inner.format ? (t) => change!(inner.format!(t)) : change };
  }
  if (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr)) {
    const key = ts.isPropertyAccessExpression(expr) ? expr.name.text : keyText(expr.argumentExpression);
    const inner = key === undefined ? undefined : receivedValue(resolver, expr.expression, depth + 1);
    return inner && { ...inner, property: [...inner.property, key!] };
  }
  if (!ts.isIdentifier(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr)[0];
  if (!declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
  if (ts.isParameter(declaration)) return ts.isIdentifier(declaration.name) && declaration.name.text !== "this" && isFunctionNode(declaration.parent) ? { binding: declaration, property: [] } : undefined;
  if (ts.isVariableDeclaration(declaration)) return ts.isIdentifier(declaration.name) ? variableValue(resolver, declaration, [], depth) : undefined;
  if (!ts.isBindingElement(declaration)) return undefined;
  // Walk out of nested patterns to the parameter or variable they destructure, collecting the properties read.
  const property: string[] = [];
  let element: ts.BindingElement = declaration;
  for (;;) {
    if (element.dotDotDotToken) return undefined;
    const pattern = element.parent;
    const key = ts.isArrayBindingPattern(pattern) ? String(pattern.elements.indexOf(element)) : propertyNameText(element.propertyName ?? element.name);
    property.unshift(key);
    const holder = pattern.parent;
    if (ts.isBindingElement(holder)) {
      element = holder;
      continue;
    }
    if (ts.isParameter(holder)) return isFunctionNode(holder.parent) ? { binding: holder, property } : undefined;
    return ts.isVariableDeclaration(holder) ? variableValue(resolver, holder, property, depth) : undefined;
  }
}

/** A `for…of` variable is received from the iterated values; a const bound to a received value is that value. */
function variableValue(resolver: Resolver, declaration: ts.VariableDeclaration, property: string[], depth: number): ReceivedValue | undefined {
  if (isForOfVariable(declaration)) return { binding: declaration, property };
  if (!declaration.initializer || !(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined;
  const inner = receivedValue(resolver, declaration.initializer, depth + 1);
  return inner && { ...inner, property: [...inner.property, ...property] };
}

export function isForOfVariable(declaration: ts.VariableDeclaration): boolean {
  const list = declaration.parent;
  return ts.isVariableDeclarationList(list) && ts.isForOfStatement(list.parent) && list.parent.initializer === list;
}

/** Every function an expression passes on from its caller: itself, or the arguments of a wrapper call around it (`asyncHandler(handler)`). */
export function receivedIn(resolver: Resolver, expression: ts.Expression, depth = 0): ReceivedValue[] {
  const own = receivedValue(resolver, expression);
  if (own) return depth === 0 || mayBeFunction(resolver, expression) ? [own] : [];
  const expr = skipOuterExpressions(expression);
  if (!ts.isCallExpression(expr) || depth > 3) return [];
  return expr.arguments.flatMap((a) => receivedIn(resolver, a, depth + 1));
}

/** False only when the checker knows the value is not callable (a schema or options object given to `validate(schema)`). */
export function mayBeFunction(resolver: Resolver, expression: ts.Expression): boolean {
  const type = resolver.typeAt(expression);
  return !type || (type.isUnion() ? type.types : [type]).some((t) => t.getCallSignatures().length > 0);
}

function keyText(expression: ts.Expression): string | undefined {
  const expr = skipOuterExpressions(expression);
  return ts.isStringLiteralLike(expr) || ts.isNumericLiteral(expr) ? expr.text : undefined;
}
