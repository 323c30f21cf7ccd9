// Detect coordination sites: every call, decorator and SQL text in the analysed files, matched against the rules as data.
import { ts } from "ts-morph";
import type { Site } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { CodeIndex } from "../scan/code-index.js";
import type { Origin, Resolver } from "../scan/resolve.js";
import { importBinding, originMatches } from "../scan/resolve.js";
import { className, MODULE_FUNCTION, positionOf, propertyNameText, type CallNode, type FunctionUnit } from "../scan/units.js";
import type { LoadedRule, ValueRef } from "./rules.js";
import { isConstant, renderResource, type ResourceSource } from "./resource.js";
import { sqlFeatures, sqlTextOf, type SqlMatch, type SqlText } from "./sql.js";

export interface DetectedSite {
  site: Site;
  /** The call or decorator that is the site. */
  node: ts.Node;
  /** The function the site runs in (for a decorator: the decorated method); undefined at top level. */
  unit: FunctionUnit | undefined;
  rule: LoadedRule;
  /** For a wrapper's use site: the index of the site it stands for. */
  primitive?: number;
  /** Where the site's resource is written, for wrappers' use sites to bind their arguments into. */
  resourceSource?: ResourceSource;
}

export function detectSites(index: CodeIndex, resolver: Resolver, allRules: LoadedRule[]): DetectedSite[] {
  const imported = index.importedModules;
  const rules = allRules.filter((rule) => rule.match.global !== undefined || rule.modules.some((m) => imported.has(m)));
  const byMethod = new Map<string, LoadedRule[]>();
  const functionRules: LoadedRule[] = [];
  const decoratorRules: LoadedRule[] = [];
  for (const rule of rules) {
    if (rule.match.method) {
      for (const name of rule.match.method) byMethod.set(name, [...(byMethod.get(name) ?? []), rule]);
    } else if (rule.match.function) {
      functionRules.push(rule);
    } else if (rule.match.decorator) {
      decoratorRules.push(rule);
    }
  }

  const found: DetectedSite[] = [];
  for (const scan of index.files) {
    const relativeFile = index.code.relative(scan.sourceFile.fileName);
    const emit = (rule: LoadedRule, locateAt: ts.Node | number, node: ts.Node, unit: FunctionUnit | undefined, extra: Partial<Site> = {}, resourceSource?: ResourceSource): void => {
      const pos = typeof locateAt === "number" ? lineColumn(scan.sourceFile, locateAt) : positionOf(locateAt, scan.sourceFile);
      const site: Site = {
        kind: rule.kind,
        rule: rule.id,
        api: rule.api,
        file: relativeFile,
        line: pos.line,
        column: pos.column,
        function: unit ? unit.name : MODULE_FUNCTION,
        ...extra,
      };
      if (rule.delivery) site.delivery = true;
      found.push({ site, node, unit, rule, ...(resourceSource ? { resourceSource } : {}) });
    };

    for (const { node: call, unit } of scan.calls) {
      const callee = ts.isTaggedTemplateExpression(call) ? call.tag : call.expression;
      const target = skipOuterExpressions(callee);
      if (ts.isPropertyAccessExpression(target)) {
        for (const rule of byMethod.get(target.name.text) ?? []) {
          matchCall(rule, call, target.name, unit, emit, () => receiverMatches(rule, target.expression, resolver, imported));
        }
      }
      if (functionRules.length > 0 && (ts.isIdentifier(target) || ts.isPropertyAccessExpression(target))) {
        const origins = valueOrigins(resolver, target);
        for (const rule of functionRules) {
          if (!origins.some((o) => rule.modules.includes(o.module) && rule.match.function!.includes(o.path))) continue;
          matchCall(rule, call, ts.isPropertyAccessExpression(target) ? target.name : target, unit, emit, () => true);
        }
      }
    }

    if (decoratorRules.length > 0) {
      // Method decorators run with the method (their site is in it); class decorators (a queue processor) are in no function.
      const decorated: { decorator: ts.Decorator; unit: FunctionUnit | undefined; owner: string | undefined }[] = [
        ...scan.units.flatMap((unit) => unit.decorators.map((decorator) => ({ decorator, unit, owner: undefined }))),
        ...scan.classes.flatMap((cls) => (ts.getDecorators(cls) ?? []).map((decorator) => ({ decorator, unit: undefined, owner: className(cls) }))),
      ];
      for (const { decorator, unit, owner } of decorated) {
        const call = ts.isCallExpression(decorator.expression) ? decorator.expression : undefined;
        const origins = valueOrigins(resolver, call ? call.expression : decorator.expression);
        for (const rule of decoratorRules) {
          if (!origins.some((o) => rule.modules.includes(o.module) && rule.match.decorator!.includes(o.path))) continue;
          const extra: Partial<Site> = owner ? { function: owner } : {};
          const level = rule.isolation && call ? isolationOf(call, rule.isolation) : undefined;
          if (level) extra.isolation = level;
          const value = rule.resource && call ? valueAt(call, rule.resource) : undefined;
          const resourceSource = value ? { node: value, bindings: new Map<ts.Node, ts.Expression>() } : undefined;
          if (resourceSource) extra.resource = renderResource(resourceSource, resolver);
          emit(rule, decorator, decorator, unit, extra, resourceSource);
        }
      }
    }
  }
  return found;

  function matchCall(
    rule: LoadedRule,
    call: CallNode,
    nameNode: ts.Node,
    unit: FunctionUnit | undefined,
    emit: (rule: LoadedRule, at: ts.Node | number, node: ts.Node, unit: FunctionUnit | undefined, extra?: Partial<Site>, resourceSource?: ResourceSource) => void,
    /** The receiver check, run last: it may need the type checker, the other conditions are syntax. */
    receiverOk: () => boolean,
  ): void {
    const args = argumentsOf(call);
    const condition = rule.match.args;
    let locateAt: ts.Node | number = nameNode;
    if (condition) {
      if (condition.minArgs !== undefined && args.length < condition.minArgs) return;
      if (condition.literal && !args.some((a) => isLiteralIn(a, condition.literal!))) return;
      if (condition.property) {
        const property = findProperty(args, condition.property);
        if (!property) return;
        if (condition.propertyValue && ts.isPropertyAssignment(property) && !holdsLiteral(property.initializer, condition.propertyValue)) return;
        locateAt = property.name;
      }
      if (condition.iterates && !iteratesOver(args[0], new RegExp(condition.iterates, "i"))) return;
      if (condition.propertyPath && !condition.propertyPath.some((p) => hasPropertyPath(args, p.split(".")))) return;
      if (condition.resultCached !== undefined && resultKeptAcrossRequests(call, resolver) !== condition.resultCached) return;
    }
    const sqlMatches = rule.match.sql ? sqlMatchesOf(call, rule.match.sql) : undefined;
    if ((sqlMatches && !sqlMatches.some((m) => m.matches.length > 0)) || !receiverOk()) return;
    const extra: Partial<Site> = {};
    if (rule.isolation) {
      const level = isolationOf(call, rule.isolation);
      if (level) extra.isolation = level;
    }
    let resourceSource: ResourceSource | undefined;
    if (rule.resource) {
      const value = valueAt(call, rule.resource);
      if (value) resourceSource = { node: value, bindings: new Map() };
      const resource = resourceSource && renderResource(resourceSource, resolver);
      if (resource) extra.resource = resource;
    }
    const constantOnly = condition?.constantResource === true;
    if (!sqlMatches) {
      if (constantOnly && !extra.resource?.constant) return;
      emit(rule, locateAt, call, unit, extra, resourceSource);
      return;
    }
    for (const { text, node, matches } of sqlMatches) {
      // SQL written in another file (an imported constant) is located at the call, the only place in this file.
      const elsewhere = node.getSourceFile() !== call.getSourceFile();
      for (const match of matches) {
        if (constantOnly && !match.resource?.constant) continue;
        const sqlExtra: Partial<Site> = { ...extra };
        if (match.isolation) sqlExtra.isolation = match.isolation;
        if (match.resource) sqlExtra.resource = match.resource;
        emit(rule, elsewhere ? nameNode : (text.sourcePos[match.offset] ?? call.getStart()), call, unit, sqlExtra, resourceSource);
      }
    }
  }

  /** Each SQL text the call may run, with the features it holds (one entry per branch of a conditional query). */
  function sqlMatchesOf(call: CallNode, features: readonly string[]): { text: SqlText; node: ts.Node; matches: SqlMatch[] }[] {
    return sqlArguments(call, resolver).map(({ text, node }) => {
      // `$n` written as an interpolation of a constant (`WHERE name = '${SEQUENCE}'`) names the same row for every request.
      const constantParameters = new Set(text.parameters.flatMap((p, i) => (isConstant(p, new Map(), resolver, 0) ? [i + 1] : [])));
      return { text, node, matches: sqlFeatures(text.text, constantParameters).filter((m) => features.includes(m.feature)) };
    });
  }
}

function receiverMatches(rule: LoadedRule, receiver: ts.Expression, resolver: Resolver, imported: ReadonlySet<string>): boolean {
  const { on, global } = rule.match;
  if (global !== undefined) {
    const expr = skipOuterExpressions(receiver);
    if (!ts.isIdentifier(expr) || expr.text !== global) return false;
    const declaration = resolver.symbolAt(expr)?.declarations?.[0];
    return !declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName);
  }
  if (!on) return false;
  if (on.any) return rule.modules.some((m) => imported.has(m));
  return originMatches(resolver.origins(receiver), rule.modules, on);
}

/** Origins of a callee used as a value (an imported function, a module member). */
function valueOrigins(resolver: Resolver, expr: ts.Expression): Origin[] {
  if (ts.isIdentifier(expr)) {
    const binding = resolver.importOf(expr);
    if (binding) return [{ module: binding.module, path: binding.path, form: "value", typed: false }];
  }
  return resolver.origins(expr).filter((o) => o.form === "value");
}

function argumentsOf(call: CallNode): readonly ts.Expression[] {
  if (ts.isTaggedTemplateExpression(call)) return [call.template];
  return call.arguments ?? [];
}

function isLiteralIn(arg: ts.Expression, values: string[]): boolean {
  const expr = skipOuterExpressions(arg);
  if (!ts.isStringLiteralLike(expr)) return false;
  const text = expr.text.toUpperCase();
  return values.some((v) => v.toUpperCase() === text);
}

function findProperty(args: readonly ts.Expression[], names: string[]): ts.PropertyAssignment | ts.ShorthandPropertyAssignment | undefined {
  for (const arg of args) {
    const expr = skipOuterExpressions(arg);
    if (!ts.isObjectLiteralExpression(expr)) continue;
    for (const property of expr.properties) {
      if ((ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) && names.includes(propertyNameText(property.name))) {
        if (ts.isPropertyAssignment(property) && isFalsy(property.initializer)) continue;
        return property;
      }
    }
  }
  return undefined;
}

/** A value that states a mode in string literals (`'NX'`, `{ mode: 'pessimistic_write' }`) must state one of these; a value stating none (`true`, a variable) passes. */
function holdsLiteral(value: ts.Expression, values: string[]): boolean {
  const literals: string[] = [];
  const collect = (node: ts.Expression): void => {
    const expr = skipOuterExpressions(node);
    if (ts.isStringLiteralLike(expr)) literals.push(expr.text.toUpperCase());
    else if (ts.isObjectLiteralExpression(expr)) {
      for (const property of expr.properties) if (ts.isPropertyAssignment(property)) collect(property.initializer);
    }
  };
  collect(value);
  return literals.length === 0 || values.some((v) => literals.includes(v.toUpperCase()));
}

function isFalsy(expr: ts.Expression): boolean {
  return expr.kind === ts.SyntaxKind.FalseKeyword || expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined");
}

/** Some object-literal argument holds this nested property path (`data.*.increment`; `*` is any one property). */
function hasPropertyPath(args: readonly ts.Expression[], path: string[]): boolean {
  const holds = (node: ts.Expression, rest: string[]): boolean => {
    if (rest.length === 0) return true;
    const expr = skipOuterExpressions(node);
    if (!ts.isObjectLiteralExpression(expr)) return false;
    return expr.properties.some((property) => {
      if (!ts.isPropertyAssignment(property)) return false;
      if (rest[0] !== "*" && propertyNameText(property.name) !== rest[0]) return false;
      return holds(property.initializer, rest.slice(1));
    });
  };
  return args.some((arg) => holds(arg, path));
}

/**
 * Whether a call's result outlives the request: assigned to `this.x`, a static or a module-level variable, directly
 * (`this.max = await redis.incrby(…)`) or through a local of the same function (`const hi = …; this.max = hi`).
 */
function resultKeptAcrossRequests(call: CallNode, resolver: Resolver): boolean {
  let node: ts.Node = call;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isNonNullExpression(node.parent) || (ts.isCallExpression(node.parent) && node.parent.expression !== node && ts.isIdentifier(node.parent.expression) && ["Number", "BigInt", "parseInt"].includes(node.parent.expression.text))) {
    node = node.parent;
  }
  const parent = node.parent;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === node) return isLongLived(parent.left, resolver);
  if (!ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name)) return false;
  const local = parent.name.text;
  const scope = ts.findAncestor(parent, (n) => ts.isFunctionLike(n) || ts.isSourceFile(n));
  let kept = false;
  const visit = (n: ts.Node): void => {
    if (kept) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && mentions(n.right, local) && isLongLived(n.left, resolver)) kept = true;
    ts.forEachChild(n, visit);
  };
  if (scope) ts.forEachChild(scope, visit);
  return kept;
}

function isLongLived(target: ts.Expression, resolver: Resolver): boolean {
  const expr = skipOuterExpressions(target);
  if (ts.isPropertyAccessExpression(expr)) return expr.expression.kind === ts.SyntaxKind.ThisKeyword || isLongLived(expr.expression, resolver);
  if (!ts.isIdentifier(expr)) return false;
  const declaration = resolver.declarationsOf(expr)[0];
  return declaration !== undefined && ts.isVariableDeclaration(declaration) && ts.isSourceFile(declaration.parent.parent.parent);
}

function mentions(node: ts.Node, name: string): boolean {
  if (ts.isIdentifier(node)) return node.text === name;
  return ts.forEachChild(node, (child) => (mentions(child, name) ? true : undefined)) ?? false;
}

/** `Promise.all(shards.map(…))`: the first argument maps over a collection whose name matches. */
function iteratesOver(arg: ts.Expression | undefined, pattern: RegExp): boolean {
  if (!arg) return false;
  const expr = skipOuterExpressions(arg);
  if (!ts.isCallExpression(expr)) return false;
  const callee = expr.expression;
  let collection: ts.Expression | undefined;
  if (ts.isPropertyAccessExpression(callee) && ["map", "flatMap"].includes(callee.name.text)) collection = callee.expression;
  else if (ts.isPropertyAccessExpression(callee) && callee.name.text === "from" && ts.isIdentifier(callee.expression) && callee.expression.text === "Array") collection = expr.arguments[0];
  if (!collection) return false;
  const inner = skipOuterExpressions(collection);
  const name = ts.isIdentifier(inner) ? inner.text : ts.isPropertyAccessExpression(inner) ? inner.name.text : ts.isCallExpression(inner) ? calleeName(inner) : undefined;
  return name !== undefined && pattern.test(name);
}

function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  return ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
}

/** The argument at `argument`, or the `property` of an object-literal argument; with both, the property when that argument is an object literal. */
function valueAt(call: CallNode, ref: ValueRef): ts.Expression | undefined {
  const all = argumentsOf(call);
  const args = ref.argument !== undefined ? all.slice(ref.argument, ref.argument + 1) : all;
  if (ref.argument !== undefined && (!ref.property || !ts.isObjectLiteralExpression(skipOuterExpressions(args[0] ?? call)))) return args[0];
  if (ref.property) {
    const property = findProperty(args, [ref.property]);
    if (property && ts.isPropertyAssignment(property)) return property.initializer;
    if (property && ts.isShorthandPropertyAssignment(property)) return property.name;
  }
  return undefined;
}

function isolationOf(call: CallNode, ref: ValueRef): string | undefined {
  const value = valueAt(call, ref);
  return value ? isolationText(value) : undefined;
}

/** `"SERIALIZABLE"`, `IsolationLevel.Serializable`, or `{ isolationLevel: … }`. */
function isolationText(value: ts.Expression): string | undefined {
  const expr = skipOuterExpressions(value);
  if (ts.isStringLiteralLike(expr)) return normaliseIsolation(expr.text);
  if (ts.isPropertyAccessExpression(expr)) return normaliseIsolation(expr.name.text);
  if (ts.isObjectLiteralExpression(expr)) {
    const nested = findProperty([expr], ["isolationLevel"]);
    if (nested && ts.isPropertyAssignment(nested)) return isolationText(nested.initializer);
  }
  return undefined;
}

export function normaliseIsolation(text: string): string | undefined {
  const words = text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toUpperCase();
  return /^(SERIALIZABLE|REPEATABLE READ|READ COMMITTED|READ UNCOMMITTED|SNAPSHOT)$/.test(words) ? words : undefined;
}

/** The SQL texts a call's first argument may hold (`{ text }` of a query config included). */
function sqlArguments(call: CallNode, resolver: Resolver): { text: SqlText; node: ts.Node }[] {
  const first = argumentsOf(call)[0];
  if (!first) return [];
  const expr = skipOuterExpressions(first);
  if (ts.isObjectLiteralExpression(expr)) {
    const text = findProperty([expr], ["text", "sql"]);
    return text && ts.isPropertyAssignment(text) ? sqlTexts(text.initializer, resolver, 0) : [];
  }
  return sqlTexts(expr, resolver, 0);
}

/** A literal or template, both branches of a conditional or of `??`/`||` (every path counts), or a variable bound to one of these. */
function sqlTexts(expression: ts.Expression, resolver: Resolver, depth: number): { text: SqlText; node: ts.Node }[] {
  const expr = skipOuterExpressions(expression);
  if (ts.isConditionalExpression(expr)) return [...sqlTexts(expr.whenTrue, resolver, depth), ...sqlTexts(expr.whenFalse, resolver, depth)];
  if (ts.isBinaryExpression(expr) && (expr.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || expr.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    return [...sqlTexts(expr.left, resolver, depth), ...sqlTexts(expr.right, resolver, depth)];
  }
  if (ts.isIdentifier(expr)) {
    if (depth >= 3) return [];
    const declaration = resolver.declarationsOf(expr)[0];
    const bound = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && !importBinding(declaration);
    return bound ? sqlTexts(declaration.initializer!, resolver, depth + 1) : [];
  }
  const text = sqlTextOf(expr);
  return text ? [{ text, node: expr }] : [];
}

function lineColumn(sourceFile: ts.SourceFile, pos: number): { line: number; column: number } {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(pos);
  return { line: line + 1, column: character + 1 };
}
