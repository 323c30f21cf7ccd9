// Detect coordination sites: every call, decorator and SQL text in the analysed files, matched against the rules as data.
import { ts } from "ts-morph";
import type { Site } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { CodeIndex } from "../scan/code-index.js";
import type { Origin, Resolver } from "../scan/resolve.js";
import { importBinding, originMatches } from "../scan/resolve.js";
import { className, isFunctionNode, MODULE_FUNCTION, positionOf, propertyNameText, type CallNode, type FunctionUnit } from "../scan/units.js";
import type { ArgCondition, LoadedRule, ValueRef } from "./rules.js";
import { isConstant, renderResource, type ResourceSource } from "./resource.js";
import { sqlFeatures, sqlTextOf, type SqlMatch, type SqlText, type StatementFacts } from "./sql.js";
import { withoutLockReleases } from "./lock-keys.js";
import { siteReason } from "./effects.js";
import { scriptTexts, strongestLuaClass, type LuaClass } from "./lua.js";

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
  /** For a lock held as its key: the functions its release or renewal sites were found in. */
  releasedIn?: FunctionUnit[];
  /** For a match in SQL text that parsed: the tables and columns of its statement, for CALM. */
  facts?: StatementFacts;
}

export function detectSites(index: CodeIndex, resolver: Resolver, allRules: LoadedRule[]): DetectedSite[] {
  const imported = index.importedModules;
  const rules = allRules.filter((rule) => rule.match.global !== undefined || rule.modules.some((m) => imported.has(m)));
  const byMethod = new Map<string, LoadedRule[]>();
  const functionRules: LoadedRule[] = [];
  const decoratorRules: LoadedRule[] = [];
  const calledRules: LoadedRule[] = [];
  const definitions: { rule: LoadedRule; call: CallNode }[] = [];
  for (const rule of rules) {
    if (rule.match.method) {
      for (const name of rule.match.method) byMethod.set(name, [...(byMethod.get(name) ?? []), rule]);
    } else if (rule.match.function) {
      functionRules.push(rule);
    } else if (rule.match.decorator) {
      decoratorRules.push(rule);
    } else if (rule.match.called) {
      calledRules.push(rule);
    }
  }

  const sites: DetectedSite[] = [];
  const forwardedSites = new Set<DetectedSite>();
  for (const scan of index.files) {
    const relativeFile = index.code.relative(scan.sourceFile.fileName);
    const emit = (rule: LoadedRule, locateAt: ts.Node | number, node: ts.Node, unit: FunctionUnit | undefined, extra: Partial<Site> = {}, resourceSource?: ResourceSource, facts?: StatementFacts): void => {
      // A forwarded option is located in its caller's file.
      const sourceFile = typeof locateAt === "number" ? scan.sourceFile : locateAt.getSourceFile();
      const pos = typeof locateAt === "number" ? lineColumn(sourceFile, locateAt) : positionOf(locateAt, sourceFile);
      const site: Site = {
        kind: rule.kind,
        rule: rule.id,
        api: rule.api,
        file: sourceFile === scan.sourceFile ? relativeFile : index.code.relative(sourceFile.fileName),
        line: pos.line,
        column: pos.column,
        function: unit ? unit.name : MODULE_FUNCTION,
        ...extra,
      };
      if (rule.delivery) site.delivery = true;
      if (rule.kind === "non-monotonic" && !rule.operation) site.reason = siteReason(rule);
      sites.push({ site, node, unit, rule, ...(resourceSource ? { resourceSource } : {}), ...(facts ? { facts } : {}) });
    };

    for (const { node: call, unit } of scan.calls) {
      const callee = ts.isTaggedTemplateExpression(call) ? templateTag(call.tag) : call.expression;
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
      // A library client called itself (`sql\`…\``, `this.sql\`…\``); members of it (`sql.unsafe`) are methods.
      if (calledRules.length > 0 && (ts.isIdentifier(target) || (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword))) {
        for (const rule of calledRules) {
          matchCall(rule, call, ts.isPropertyAccessExpression(target) ? target.name : target, unit, emit, () => originMatches(resolver.origins(target), rule.modules, rule.match.called!));
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
          const level = rule.isolation && call ? isolationOf(call, rule.isolation, resolver) : undefined;
          if (level) extra.isolation = level;
          const value = rule.resource && call ? valueAt(call, rule.resource) : undefined;
          const resourceSource = value ? { node: value, bindings: new Map<ts.Node, ts.Expression>() } : undefined;
          if (resourceSource) extra.resource = renderResource(resourceSource, resolver);
          emit(rule, decorator, decorator, unit, extra, resourceSource);
        }
      }
    }
  }
  // A caller's option also passed straight to a finder (a project override of it), or forwarded to several calls, is one site.
  const siteKey = (d: DetectedSite): string => `${d.rule.id} ${d.site.file}:${d.site.line}:${d.site.column}`;
  const located = new Set(sites.filter((d) => !forwardedSites.has(d)).map(siteKey));
  const found = sites.filter((d) => {
    if (!forwardedSites.has(d)) return true;
    if (located.has(siteKey(d))) return false;
    located.add(siteKey(d));
    return true;
  });
  if (definitions.length > 0) found.push(...commandSites(index, resolver, definitions));
  // A lock held as its key that states no time to live is a claim on data: only its own function holds it.
  const expires = (d: DetectedSite): boolean => d.rule.expiry !== undefined && argumentsMeet(d.rule.expiry, argumentsOf(d.node as CallNode), resolver) !== undefined;
  return withoutLockReleases(found, resolver, expires);

  function matchCall(
    rule: LoadedRule,
    call: CallNode,
    nameNode: ts.Node,
    unit: FunctionUnit | undefined,
    emit: (rule: LoadedRule, at: ts.Node | number, node: ts.Node, unit: FunctionUnit | undefined, extra?: Partial<Site>, resourceSource?: ResourceSource, facts?: StatementFacts) => void,
    /** The receiver check, run last: it may need the type checker, the other conditions are syntax. */
    receiverOk: () => boolean,
  ): void {
    const args = argumentsOf(call);
    const condition = rule.match.args;
    let locateAt: ts.Node | number = nameNode;
    if (condition) {
      const met = argumentsMeet(condition, args, resolver);
      if (!met) {
        if (condition.property && !rule.defines && !rule.resource && !rule.match.sql && !rule.match.lua) emitForwarded(rule, call, args, condition, emit, receiverOk);
        return;
      }
      if (met.at) locateAt = met.at;
      if (condition.resultCached !== undefined && resultKeptAcrossRequests(call, resolver) !== condition.resultCached) return;
      if (condition.unlessChained && chainedInto(call, condition.unlessChained)) return;
    }
    const sqlMatches = rule.match.sql ? sqlMatchesOf(call, rule) : undefined;
    if ((sqlMatches && !sqlMatches.some((m) => m.matches.length > 0)) || (rule.match.lua && !luaMatches(call, rule, resolver)) || !receiverOk()) return;
    // A script command's definition is no site: its calls are (their arguments bind the resource).
    if (rule.defines) {
      definitions.push({ rule, call });
      return;
    }
    const extra: Partial<Site> = {};
    if (rule.isolation) {
      const level = isolationOf(call, rule.isolation, resolver);
      if (level) extra.isolation = level;
    }
    let resourceSource: ResourceSource | undefined;
    if (rule.resource) {
      const value = valueAt(call, rule.resource);
      if (value) resourceSource = { node: value, bindings: new Map() };
      const resource = resourceSource && renderResource(resourceSource, resolver);
      if (resource) extra.resource = resource;
    }
    // constantResource: true asks for a key every request shares, false for one that differs (or none stated).
    const resourceFits = (resource: Site["resource"]): boolean => condition?.constantResource === undefined || (resource?.constant === true) === condition.constantResource;
    if (!sqlMatches) {
      if (!resourceFits(extra.resource)) return;
      emit(rule, locateAt, call, unit, extra, resourceSource);
      return;
    }
    for (const { text, node, matches } of sqlMatches) {
      // SQL written in another file (an imported constant) is located at the call, the only place in this file.
      const elsewhere = node.getSourceFile() !== call.getSourceFile();
      for (const match of matches) {
        if (!resourceFits(match.resource)) continue;
        const sqlExtra: Partial<Site> = { ...extra };
        if (match.isolation) sqlExtra.isolation = match.isolation;
        if (match.resource) sqlExtra.resource = match.resource;
        sqlExtra.sqlParsed = match.parsed;
        if (match.statement) sqlExtra.statement = match.statement;
        emit(rule, elsewhere ? nameNode : (text.sourcePos[match.offset] ?? call.getStart()), call, unit, sqlExtra, resourceSource, match.facts);
      }
    }
  }

  /**
   * An option the call does not state but takes from a project function's parameter (`findOne({ where, ...options })`):
   * each caller's object literal that states it is the site, located at the caller's property and run in the caller.
   */
  function emitForwarded(
    rule: LoadedRule,
    call: CallNode,
    args: readonly ts.Expression[],
    condition: ArgCondition,
    emit: (rule: LoadedRule, at: ts.Node, node: ts.Node, unit: FunctionUnit | undefined) => void,
    receiverOk: () => boolean,
  ): void {
    const { property, propertyValue, propertyPattern, propertyMember, ...others } = condition;
    if (!argumentsMeet(others, args, resolver)) return;
    if (others.resultCached !== undefined && resultKeptAcrossRequests(call, resolver) !== others.resultCached) return;
    if (others.unlessChained && chainedInto(call, others.unlessChained)) return;
    const own: ArgCondition = { property, propertyValue, propertyPattern, propertyMember };
    const seen = new Set<ts.Node>();
    const found = args.flatMap((arg) => forwardedIn(arg, own, 0, seen));
    if (found.length === 0 || !receiverOk()) return;
    for (const { at, caller } of found) {
      emit(rule, at, caller, enclosingUnit(caller));
      forwardedSites.add(sites[sites.length - 1]!);
    }
  }

  /** The callers' stated options an object the call builds takes in: its spreads, or the const literal it names. */
  function forwardedIn(value: ts.Expression, own: ArgCondition, depth: number, seen: Set<ts.Node>): { at: ts.Node; caller: ts.Node }[] {
    const expr = skipOuterExpressions(value);
    if (ts.isObjectLiteralExpression(expr)) return expr.properties.flatMap((p) => (ts.isSpreadAssignment(p) ? forwardedThrough(p.expression, own, depth, seen) : []));
    if (!ts.isIdentifier(expr)) return [];
    const declaration = resolver.declarationsOf(expr)[0];
    const isConstLiteral = declaration !== undefined && ts.isVariableDeclaration(declaration) && (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0 && declaration.initializer !== undefined && ts.isObjectLiteralExpression(skipOuterExpressions(declaration.initializer));
    return isConstLiteral ? forwardedIn(declaration.initializer!, own, depth + 1, seen) : forwardedThrough(expr, own, depth, seen);
  }

  /**
   * The callers' stated options a parameter stands for, or a property of one (`...options.query`), or the rest of one
   * destructured (`const { limit, ...rest } = options`), through a few helper layers.
   */
  function forwardedThrough(expression: ts.Expression, own: ArgCondition, depth: number, seen: Set<ts.Node>, outerPath: string[] = []): { at: ts.Node; caller: ts.Node }[] {
    const path = [...outerPath];
    let expr = skipOuterExpressions(expression);
    while (ts.isPropertyAccessExpression(expr)) {
      path.unshift(expr.name.text);
      expr = skipOuterExpressions(expr.expression);
    }
    if (!ts.isIdentifier(expr) || depth > 4) return [];
    const declaration = resolver.declarationsOf(expr).find((d) => ts.isParameter(d) || ts.isBindingElement(d));
    if (!declaration || seen.has(declaration)) return [];
    seen.add(declaration);
    if (ts.isBindingElement(declaration) && declaration.dotDotDotToken && ts.isObjectBindingPattern(declaration.parent)) {
      // The rest holds what its siblings do not name.
      const named = declaration.parent.elements.map((e) => (e.propertyName ? propertyNameText(e.propertyName) : ts.isIdentifier(e.name) ? e.name.text : undefined));
      if (path.length === 0 && own.property!.every((p) => named.includes(p))) return [];
      const holder = declaration.parent.parent;
      if (ts.isVariableDeclaration(holder) && holder.initializer) return forwardedThrough(holder.initializer, own, depth + 1, seen, path);
      if (!ts.isParameter(holder)) return [];
      return resolver.passedValues(holder).flatMap((passed) => forwardedFrom(passed, path, own, depth, seen));
    }
    return resolver.passedValues(declaration).flatMap((passed) => forwardedFrom(passed, path, own, depth, seen));
  }

  /** A caller's value for a forwarded parameter: the property it states, or what it forwards in turn. */
  function forwardedFrom(passed: ts.Expression, path: string[], own: ArgCondition, depth: number, seen: Set<ts.Node>): { at: ts.Node; caller: ts.Node }[] {
    const value = propertyAlong(passed, path);
    if (!value) return [];
    if (!ts.isObjectLiteralExpression(value)) return forwardedIn(value, own, depth + 1, seen);
    const met = argumentsMeet(own, [value], resolver);
    if (met?.at) return [{ at: met.at, caller: callOf(passed) }];
    return forwardedIn(value, own, depth + 1, seen);
  }

  function enclosingUnit(node: ts.Node): FunctionUnit | undefined {
    for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
      const unit = isFunctionNode(n) ? index.unitOf(n) : undefined;
      if (unit) return unit;
    }
    return undefined;
  }

  /** Each SQL text the call may run, with the features it holds (one entry per branch of a conditional query). */
  function sqlMatchesOf(call: CallNode, rule: LoadedRule): { text: SqlText; node: ts.Node; matches: SqlMatch[] }[] {
    const features: readonly string[] = rule.match.sql ?? [];
    return sqlArguments(call, resolver).map(({ text, node }) => {
      // `$n` written as an interpolation of a constant (`WHERE name = '${SEQUENCE}'`) names the same row for every request.
      const constantParameters = new Set(text.parameters.flatMap((p, i) => (isConstant(p, new Map(), resolver, 0) ? [i + 1] : [])));
      return { text, node, matches: sqlFeatures(text.text, rule.sqlDialect, constantParameters, { statements: features.includes("statement") }).filter((m) => features.includes(m.feature)) };
    });
  }
}

function receiverMatches(rule: LoadedRule, receiver: ts.Expression, resolver: Resolver, imported: ReadonlySet<string>): boolean {
  const { on, global } = rule.match;
  if (global !== undefined) {
    // `navigator.locks`: the receiver is that property path from the global.
    const names = global.split(".");
    let expr = skipOuterExpressions(receiver);
    for (let i = names.length - 1; i > 0; i--) {
      if (!ts.isPropertyAccessExpression(expr) || expr.name.text !== names[i]) return false;
      expr = skipOuterExpressions(expr.expression);
    }
    if (!ts.isIdentifier(expr) || expr.text !== names[0]) return false;
    const declaration = resolver.symbolAt(expr)?.declarations?.[0];
    return !declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName);
  }
  if (!on) return false;
  if (on.any) return rule.modules.some((m) => imported.has(m));
  return originMatches(resolver.origins(receiver), rule.modules, on);
}

/** The script the call runs is of one of the rule's classes (the strongest over the texts it may hold). */
function luaMatches(call: CallNode, rule: LoadedRule, resolver: Resolver): boolean {
  const value = valueAt(call, rule.script ?? { argument: 0 });
  if (!value) return false;
  // Each class is its own rule: the script is read once per call.
  if (!scriptClasses.has(value)) scriptClasses.set(value, strongestLuaClass(scriptTexts(value, resolver)));
  const found = scriptClasses.get(value);
  return found !== undefined && rule.match.lua!.includes(found);
}

const scriptClasses = new WeakMap<ts.Node, LuaClass | undefined>();

/**
 * Calls of the script commands the project defined, each a site of its definition's rule: a method named as
 * the definition says on a receiver the rule accepts (`redis.defineCommand("acquire", …)` → `redis.acquire(key)`),
 * or one of the rule's methods on the value the definition returns (`const s = redis.createScript(…)` → `s.exec(…)`).
 */
function commandSites(index: CodeIndex, resolver: Resolver, definitions: { rule: LoadedRule; call: CallNode }[]): DetectedSite[] {
  const named = new Map<string, LoadedRule[]>();
  const byValue = definitions.filter(({ rule }) => rule.defines!.methods);
  for (const { rule, call } of definitions) {
    if (rule.defines!.methods) continue;
    for (const name of commandNames(call, rule.defines!.name)) named.set(name, [...(named.get(name) ?? []), rule]);
  }
  const sites: DetectedSite[] = [];
  for (const scan of index.files) {
    for (const { node: call, unit } of scan.calls) {
      const target = ts.isTaggedTemplateExpression(call) ? undefined : skipOuterExpressions(call.expression);
      if (!target || !ts.isPropertyAccessExpression(target)) continue;
      const method = target.name.text;
      const rules = new Set([
        ...(named.get(method) ?? []).filter((rule) => originMatches(resolver.origins(target.expression), rule.modules, rule.defines!.on ?? rule.match.on ?? {})),
        ...byValue.filter(({ rule, call: definition }) => rule.defines!.methods!.includes(method) && madeBy(target.expression, definition, resolver)).map((d) => d.rule),
      ]);
      for (const rule of rules) {
        const value = rule.resource && valueAt(call, rule.resource);
        const resourceSource = value ? { node: value, bindings: new Map<ts.Node, ts.Expression>() } : undefined;
        const resource = resourceSource && renderResource(resourceSource, resolver);
        const constant = rule.match.args?.constantResource;
        if (constant !== undefined && (resource?.constant === true) !== constant) continue;
        const pos = positionOf(target.name, scan.sourceFile);
        const site: Site = { kind: rule.kind, rule: rule.id, api: rule.api, file: index.code.relative(scan.sourceFile.fileName), line: pos.line, column: pos.column, function: unit ? unit.name : MODULE_FUNCTION };
        if (resource) site.resource = resource;
        if (rule.kind === "non-monotonic") site.reason = siteReason(rule);
        sites.push({ site, node: call, unit, rule, ...(resourceSource ? { resourceSource } : {}) });
      }
    }
  }
  return sites;
}

/** The names a definition makes callable: its name argument (ioredis also defines `<name>Buffer`), else the property or const it is stored under. */
function commandNames(call: CallNode, ref: ValueRef | undefined): string[] {
  if (ref) {
    const value = valueAt(call, ref);
    const name = value && skipOuterExpressions(value);
    return name && ts.isStringLiteralLike(name) ? [name.text, `${name.text}Buffer`] : [];
  }
  let node: ts.Node = call;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isSatisfiesExpression(node.parent)) node = node.parent;
  const holder = node.parent;
  if ((ts.isPropertyAssignment(holder) || ts.isVariableDeclaration(holder)) && holder.initializer === node && !ts.isComputedPropertyName(holder.name) && !ts.isObjectBindingPattern(holder.name) && !ts.isArrayBindingPattern(holder.name)) {
    return [propertyNameText(holder.name)];
  }
  return [];
}

/** The receiver is a variable or field initialised with the definition (`const reserve = redis.createScript(…)`). */
function madeBy(receiver: ts.Expression, definition: CallNode, resolver: Resolver): boolean {
  const expr = skipOuterExpressions(receiver);
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return false;
  return resolver.declarationsOf(expr).some((d) => (ts.isVariableDeclaration(d) || ts.isPropertyDeclaration(d)) && d.initializer !== undefined && skipOuterExpressions(d.initializer) === definition);
}

/** The value at a property path inside an object literal (the value itself for an empty path). */
function propertyAlong(value: ts.Expression, path: string[]): ts.Expression | undefined {
  let expr = skipOuterExpressions(value);
  for (const name of path) {
    if (!ts.isObjectLiteralExpression(expr)) return undefined;
    const property = expr.properties.find((p) => p.name !== undefined && !ts.isComputedPropertyName(p.name) && propertyNameText(p.name) === name);
    if (property && ts.isPropertyAssignment(property)) expr = skipOuterExpressions(property.initializer);
    else if (property && ts.isShorthandPropertyAssignment(property)) expr = property.name;
    else return undefined;
  }
  return expr;
}

/** The call an argument is passed in. */
function callOf(argument: ts.Expression): ts.Node {
  let node: ts.Node = argument;
  while (node.parent && !ts.isCallExpression(node.parent) && !ts.isNewExpression(node.parent)) node = node.parent;
  return node.parent ?? argument;
}

/** Origins of a callee used as a value (an imported function, a module member). */
function valueOrigins(resolver: Resolver, expr: ts.Expression): Origin[] {
  if (ts.isIdentifier(expr)) {
    const binding = resolver.importOf(expr);
    if (binding) return [{ module: binding.module, path: binding.path, form: "value", typed: false }];
  }
  return resolver.origins(expr).filter((o) => o.form === "value");
}

/** A tag that is itself a call (`sql.type(schema)\`…\``) stands for the method it calls: the template is that method's SQL. */
function templateTag(tag: ts.Expression): ts.Expression {
  const expr = skipOuterExpressions(tag);
  return ts.isCallExpression(expr) ? expr.expression : tag;
}

export function argumentsOf(call: CallNode): readonly ts.Expression[] {
  if (ts.isTaggedTemplateExpression(call)) return [call.template];
  return call.arguments ?? [];
}

/** The conditions a call's arguments alone decide: undefined when they fail, else the property the site is located at, if one is named. */
export function argumentsMeet(condition: ArgCondition, args: readonly ts.Expression[], resolver: Resolver): { at?: ts.Node } | undefined {
  if (condition.minArgs !== undefined && args.length < condition.minArgs) return undefined;
  if (condition.literal && !args.some((a) => isLiteralIn(a, condition.literal!))) return undefined;
  if (condition.member && !args.some((a) => isMemberIn(a, condition.member!, resolver, 0))) return undefined;
  let at: ts.Node | undefined;
  if (condition.property) {
    const property = findProperty(args, condition.property);
    if (!property) return undefined;
    if (condition.propertyValue && ts.isPropertyAssignment(property) && !holdsLiteral(property.initializer, condition.propertyValue)) return undefined;
    if (condition.propertyPattern !== undefined && !statesText(property, new RegExp(condition.propertyPattern, "i"), resolver)) return undefined;
    if (condition.propertyMember && !isMemberIn(ts.isPropertyAssignment(property) ? property.initializer : property.name, condition.propertyMember, resolver, 0)) return undefined;
    at = property.name;
  }
  if (condition.iterates && !iteratesOver(args[0], new RegExp(condition.iterates, "i"))) return undefined;
  if (condition.propertyPath && !condition.propertyPath.some((p) => hasPropertyPath(args, p.split(".")))) return undefined;
  if (condition.not && argumentsMeet(condition.not, args, resolver)) return undefined;
  return at ? { at } : {};
}

/** `zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL`, or a const bound to it, ends with one of these dotted names. */
function isMemberIn(arg: ts.Expression, names: string[], resolver: Resolver, depth: number): boolean {
  const expr = skipOuterExpressions(arg);
  if (ts.isIdentifier(expr)) {
    const declaration = depth < 3 ? resolver.declarationsOf(expr)[0] : undefined;
    return declaration !== undefined && ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined && isMemberIn(declaration.initializer, names, resolver, depth + 1);
  }
  if (!ts.isPropertyAccessExpression(expr)) return false;
  const text = expr.getText().replace(/\s+/g, "");
  return names.some((name) => text === name || text.endsWith(`.${name}`));
}

/** The property's value states text matching the pattern: a literal or template (interpolations read as `$n`), either branch of a conditional, or a const holding one. */
function statesText(property: ts.PropertyAssignment | ts.ShorthandPropertyAssignment, pattern: RegExp, resolver: Resolver): boolean {
  const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
  return sqlTexts(value, resolver, 0).some(({ text }) => pattern.test(text.text));
}

/** The call's result goes on to one of these methods called with `true` or nothing (`get(key).serializable(true)`); a variable may be false, and every path counts. */
function chainedInto(call: CallNode, names: string[]): boolean {
  let node: ts.Node = call;
  while (ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node && ts.isCallExpression(node.parent.parent) && node.parent.parent.expression === node.parent) {
    const next: ts.CallExpression = node.parent.parent;
    const first = next.arguments[0];
    if (names.includes(node.parent.name.text) && (!first || first.kind === ts.SyntaxKind.TrueKeyword)) return true;
    node = next;
  }
  return false;
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

/** Some identifier in the node is this name. */
export function mentions(node: ts.Node, name: string): boolean {
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

/**
 * The argument at `argument`, or the `property` of an object-literal argument; with both, the property when that argument is an
 * object literal; with `chained`, the first argument of that method further down the call's chain.
 */
export function valueAt(call: CallNode, ref: ValueRef): ts.Expression | undefined {
  if (ref.chained) {
    for (let node: ts.Node = call; ts.isPropertyAccessExpression(node.parent) && ts.isCallExpression(node.parent.parent) && node.parent.parent.expression === node.parent; node = node.parent.parent) {
      if (node.parent.name.text === ref.chained) return node.parent.parent.arguments[0];
    }
    return undefined;
  }
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

function isolationOf(call: CallNode, ref: ValueRef, resolver: Resolver): string | undefined {
  const value = valueAt(call, ref);
  return value ? isolationText(value, resolver, 0) : undefined;
}

/**
 * `"SERIALIZABLE"`, `IsolationLevel.Serializable`, `{ isolationLevel: … }`, or a level stated inside an options value
 * (`new TransactionMode({ tiLevel: isolationLevel.serializable })`, `{ readConcern: { level: "snapshot" } }`), also through a const.
 */
function isolationText(value: ts.Expression, resolver: Resolver, depth: number): string | undefined {
  const expr = skipOuterExpressions(value);
  // A transaction mode written as SQL (postgres.js `sql.begin("isolation level serializable", …)`) is read as BEGIN's.
  if (ts.isStringLiteralLike(expr)) return normaliseIsolation(expr.text) ?? (/\bisolation\s+level\b/i.test(expr.text) ? sqlFeatures(`BEGIN ${expr.text}`)[0]?.isolation : undefined);
  if (ts.isPropertyAccessExpression(expr)) return normaliseIsolation(expr.name.text);
  if (depth >= 3) return undefined;
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    const bound = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer && ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const;
    return bound ? isolationText(declaration.initializer!, resolver, depth + 1) : undefined;
  }
  const stated = (values: readonly ts.Expression[]): string | undefined => values.reduce<string | undefined>((level, v) => level ?? isolationText(v, resolver, depth + 1), undefined);
  if (ts.isObjectLiteralExpression(expr)) {
    const nested = findProperty([expr], ["isolationLevel"]);
    const values = expr.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : ts.isShorthandPropertyAssignment(p) ? [p.name] : []));
    return stated(nested ? [ts.isPropertyAssignment(nested) ? nested.initializer : nested.name, ...values] : values);
  }
  if (ts.isNewExpression(expr) || ts.isCallExpression(expr)) return stated(expr.arguments ?? []);
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
