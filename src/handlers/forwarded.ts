// Handlers registered through the project's own helpers: a registration whose function a helper receives from its caller (or a loop reads from a route table) is reported at each call (or table element), named from the values given there.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import { concat, mayBeFunction, nameText, receivedValue, starCount, type NamePlaceholder, type NameText, type ReceivedValue } from "./caller-values.js";
import { wrappedEntries, type HandlerCandidate, type HandlerEntry } from "./finder.js";

/** Helper layers followed from a registration to the code that names its handler. */
const MAX_LAYERS = 8;
/** Array methods whose callback receives each element in turn. */
const ELEMENT_CALLBACKS = new Set(["forEach", "map", "flatMap"]);

type Binding = ReceivedValue["binding"];
/** What binds values at once: a helper (all its parameters at each call) or a loop (its variable at each element). */
type Binder = ts.Node;

/** One place where a binder gets its values: a call of the helper, or an element of the iterated array. */
interface BindingSite {
  /** Where the handler registered with those values is reported. */
  at: ts.Node;
  /** The value bound there to one of the binder's bindings; every argument a rest parameter collects. */
  valuesOf(binding: Binding): ts.Expression[];
}

/** A received value as a site gives it: an expression (with the properties that cannot be read there still to read), or a method of an object literal. */
type SiteValue = { expression: ts.Expression; property: string[] } | { unit: FunctionUnit };

/**
 * Each candidate whose registration runs a function its enclosing helper receives (a parameter, a property of one, a
 * name destructured from one) becomes one candidate per call of that helper, located at the call, with the call's
 * values in its entries and name; the same for a loop variable over a literal array, per element. Repeated until no
 * helper is left, so helpers calling helpers across files end where the handler is named. A helper nobody calls, or a
 * loop over values not written in the code, keeps its registration with `*` for what only its callers know.
 */
export function liftForwarded(resolver: Resolver, candidates: readonly HandlerCandidate[]): HandlerCandidate[] {
  const out: HandlerCandidate[] = [];
  // One router reached twice under the same prefix (a base class's router shared by two mounted subclasses) lifts to the same call twice.
  const liftedOut = new Set<string>();
  let work = candidates.map((candidate) => ({ candidate, lifted: new Set<Binder>() }));
  while (work.length > 0) {
    const next: typeof work = [];
    for (const { candidate, lifted } of work) {
      const binding = handlerBinding(resolver, candidate);
      if (!binding || lifted.size >= MAX_LAYERS) {
        const key = `${nodeKey(candidate.node)}|${candidate.name}`;
        if (lifted.size === 0 || !liftedOut.has(key)) out.push(candidate);
        if (lifted.size > 0) liftedOut.add(key);
        continue;
      }
      const binder = binderOf(binding);
      // A helper that registers through a call of itself adds no handler its outer callers do not.
      if (lifted.has(binder)) continue;
      const { sites, complete } = bindingSites(resolver, binding, candidate.mountedThrough);
      if (!complete || sites.length === 0) out.push(candidate);
      const deeper = new Set(lifted).add(binder);
      for (const site of sites) next.push({ candidate: liftTo(resolver, candidate, binder, site), lifted: deeper });
    }
    work = next;
  }
  return out;
}

function binderOf(binding: Binding): Binder {
  return ts.isParameter(binding) ? binding.parent : binding.parent.parent;
}

/** The parameter or loop variable the registration's own functions come from, when one of them is not known where it is registered. */
function handlerBinding(resolver: Resolver, candidate: HandlerCandidate): Binding | undefined {
  const node = candidate.node;
  let found: Binding | undefined;
  for (const entry of candidate.entries) {
    const expression = entry.expression;
    if (!expression || expression.getSourceFile() !== node.getSourceFile() || expression.pos < node.pos || expression.end > node.end) continue;
    const received = forwardedIn(resolver, entry);
    if (received.length > 0) found = received[received.length - 1]!.binding;
  }
  return found;
}

/** What an entry takes from its helper's caller: the entry itself when nothing is found for it, or the unresolved arguments of a wrapper call (`asyncHandler(handler)`). */
function forwardedIn(resolver: Resolver, entry: HandlerEntry): ReceivedValue[] {
  const own = receivedValue(resolver, entry.expression!);
  if (own) return knownWhereRegistered(entry) ? [] : [{ ...own, property: [...own.property, ...(entry.property ?? [])] }];
  return forwardedArguments(resolver, entry.expression!, 0).map((a) => a.received);
}

/**
 * Whether the functions found for a received value hold whatever the caller passes (a method of the parameter's
 * declared class). Functions of an object literal do not: the checker found them in the literal the value's type
 * was inferred from (`route.handler` is the first route table element's handler).
 */
function knownWhereRegistered(entry: HandlerEntry): boolean {
  return entry.units.some((unit) => !ts.isPropertyAssignment(unit.node.parent) && !ts.isObjectLiteralExpression(unit.node.parent));
}

/**
 * Functions received from the helper's caller that a wrapper runs: the arguments of a wrapper call
 * (`asyncHandler(handler)`), or what a function written in the registration calls
 * (`async (req, res) => { await handler(req, res); }`).
 */
function forwardedArguments(resolver: Resolver, expression: ts.Expression, depth: number): { argument: ts.Expression; received: ReceivedValue }[] {
  const expr = skipOuterExpressions(expression);
  const unresolved = (argument: ts.Expression) => {
    const received = receivedValue(resolver, argument);
    return received && resolver.functionTargets(argument).length === 0 && mayBeFunction(resolver, argument) ? [{ argument, received }] : [];
  };
  if (isFunctionNode(expr)) {
    // A call handing on the function's own request (`handler(req, res, next)`), not a dependency it uses (`deps.getUser(id)`).
    const ownParameter = (argument: ts.Expression): boolean => {
      const value = skipOuterExpressions(ts.isSpreadElement(argument) ? argument.expression : argument);
      return ts.isIdentifier(value) && resolver.declarationsOf(value).some((d) => ts.isParameter(d) && d.parent === expr);
    };
    // A method of a library object received from the caller (`socket.join(room)`) is the library's, not a handler.
    const libraryMethod = (callee: ts.Expression): boolean => ts.isPropertyAccessExpression(callee) && resolver.origins(callee.expression).length > 0;
    const called: ts.Expression[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.arguments.some(ownParameter) && !libraryMethod(skipOuterExpressions(node.expression))) called.push(node.expression);
      if (!isFunctionNode(node)) ts.forEachChild(node, visit);
    };
    visit(expr.body);
    // Its own parameters are given by the framework, not by the helper's caller.
    return called.flatMap(unresolved).filter((c) => c.received.binding.parent !== expr);
  }
  if (!ts.isCallExpression(expr) || depth > 3) return [];
  return expr.arguments.flatMap((argument) => (receivedValue(resolver, argument) ? unresolved(argument) : forwardedArguments(resolver, argument, depth + 1)));
}

function liftTo(resolver: Resolver, candidate: HandlerCandidate, binder: Binder, site: BindingSite): HandlerCandidate {
  const { mountedThrough: _mounted, placeholders: _placeholders, ...rest } = candidate;
  const entries = candidate.entries.flatMap((entry) => entriesAt(resolver, entry, binder, site));
  const named = nameAt(resolver, candidate, binder, site);
  return { ...rest, name: named.text, node: site.at, entries, ...(named.placeholders.length > 0 ? { placeholders: named.placeholders } : {}) };
}

function entriesAt(resolver: Resolver, entry: HandlerEntry, binder: Binder, site: BindingSite): HandlerEntry[] {
  if (!entry.expression) return [entry];
  const own = receivedValue(resolver, entry.expression);
  if (own) {
    if (binderOf(own.binding) !== binder || knownWhereRegistered(entry)) return [entry];
    return valuesAt(resolver, site, own.binding, [...own.property, ...(entry.property ?? [])]).flatMap((value) => runsAt(resolver, value));
  }
  const forwarded = forwardedArguments(resolver, entry.expression, 0).filter((a) => binderOf(a.received.binding) === binder);
  if (forwarded.length === 0) return [entry];
  // The wrapper runs first, then what the caller gave it.
  return [...(entry.units.length > 0 ? [entry] : []), ...forwarded.flatMap((a) => valuesAt(resolver, site, a.received.binding, a.received.property).flatMap((value) => runsAt(resolver, value)))];
}

/** What a value given at a site runs; a value still to be read at an outer caller stays for the next layer. */
function runsAt(resolver: Resolver, value: SiteValue): HandlerEntry[] {
  if ("unit" in value) return [{ units: [value.unit] }];
  if (value.property.length > 0) return [{ expression: value.expression, units: [], property: value.property }];
  const expr = skipOuterExpressions(value.expression);
  if (expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined")) return [];
  const entries = wrappedEntries(resolver, value.expression);
  return entries.length > 0 ? entries : [{ expression: value.expression, units: [] }];
}

/** The candidate's name with every `*` that stands for a value bound at the site replaced by that value's text. */
function nameAt(resolver: Resolver, candidate: HandlerCandidate, binder: Binder, site: BindingSite): NameText {
  const placeholders = candidate.placeholders;
  if (!placeholders || placeholders.length !== starCount(candidate.name)) return { text: candidate.name, placeholders: [] };
  const pieces = candidate.name.split("*");
  const parts: NameText[] = [{ text: pieces[0]!, placeholders: [] }];
  placeholders.forEach((placeholder, i) => parts.push(textAt(resolver, placeholder, binder, site), { text: pieces[i + 1]!, placeholders: [] }));
  const joined = concat(parts);
  const text = candidate.normalizeName ? candidate.normalizeName(joined.text) : joined.text;
  return { text, placeholders: starCount(text) === joined.placeholders.length && joined.placeholders.some((p) => p !== undefined) ? joined.placeholders : [] };
}

function textAt(resolver: Resolver, placeholder: NamePlaceholder | undefined, binder: Binder, site: BindingSite): NameText {
  const unknown = { text: "*", placeholders: [placeholder] };
  if (!placeholder) return unknown;
  const received = receivedValue(resolver, placeholder.expression);
  if (!received || binderOf(received.binding) !== binder) return unknown;
  const value = valuesAt(resolver, site, received.binding, [...received.property, ...(placeholder.property ?? [])])[0];
  if (!value || "unit" in value) return unknown;
  const format = compose(placeholder.format, received.format);
  if (value.property.length > 0) return { text: "*", placeholders: [{ expression: value.expression, property: value.property, ...(format ? { format } : {}) }] };
  const text = nameText(resolver, value.expression);
  if (!format) return text;
  return { text: format(text.text), placeholders: text.placeholders.map((p) => p && { ...p, format: compose(format, p.format)! }) };
}

function compose(outer: ((text: string) => string) | undefined, inner: ((text: string) => string) | undefined): ((text: string) => string) | undefined {
  if (!outer || !inner) return outer ?? inner;
  return (text) => outer(inner(text));
}

/** The values a site binds, with the properties read from them as far as the code there writes them. */
function valuesAt(resolver: Resolver, site: BindingSite, binding: Binding, property: string[]): SiteValue[] {
  return site.valuesOf(binding).map((value) => readProperty(resolver, value, property)).filter((v): v is SiteValue => v !== undefined);
}

/** `{ url: "/orders", fn: this.create }` read at `fn`; undefined when the object written there has no such property. */
function readProperty(resolver: Resolver, value: ts.Expression, property: string[]): SiteValue | undefined {
  let current = value;
  for (let i = 0; i < property.length; i++) {
    const object = seeThrough(resolver, current);
    const key = property[i]!;
    if (ts.isObjectLiteralExpression(object)) {
      const member = memberOf(resolver, object, key, 0);
      if (!member) return undefined;
      if (ts.isMethodDeclaration(member)) {
        const unit = resolver.index.unitOf(member);
        return unit && i === property.length - 1 ? { unit } : undefined;
      }
      current = member;
    } else if (ts.isArrayLiteralExpression(object) && /^\d+$/.test(key)) {
      const element = object.elements[Number(key)];
      if (!element || ts.isSpreadElement(element) || ts.isOmittedExpression(element)) return undefined;
      current = element;
    } else {
      return { expression: current, property: property.slice(i) };
    }
  }
  return { expression: current, property: [] };
}

/** A property of an object literal: its value, or the method written there; spread objects are searched after its own properties. */
function memberOf(resolver: Resolver, object: ts.ObjectLiteralExpression, key: string, depth: number): ts.Expression | ts.MethodDeclaration | undefined {
  for (const property of [...object.properties].reverse()) {
    const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) || ts.isNumericLiteral(property.name)) ? property.name.text : undefined;
    if (name !== key) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
    if (ts.isMethodDeclaration(property)) return property;
  }
  if (depth > 4) return undefined;
  for (const property of [...object.properties].reverse()) {
    if (!ts.isSpreadAssignment(property)) continue;
    const spread = seeThrough(resolver, property.expression);
    const member = ts.isObjectLiteralExpression(spread) ? memberOf(resolver, spread, key, depth + 1) : undefined;
    if (member) return member;
  }
  return undefined;
}

/** The object or array literal behind a value: through consts (imported ones included) and identity helpers (`defineRoute({ … })`). */
function seeThrough(resolver: Resolver, expression: ts.Expression): ts.Expression {
  let expr = skipOuterExpressions(expression);
  for (let depth = 0; depth < 6; depth++) {
    if (ts.isCallExpression(expr) && expr.arguments[0] && resolver.functionTargets(expr.expression).some(returnsFirstParameter)) {
      expr = skipOuterExpressions(expr.arguments[0]);
      continue;
    }
    if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) break;
    const declaration = resolver.declarationsOf(expr)[0];
    if (!declaration || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) break;
    const bound = ts.isVariableDeclaration(declaration) && !ts.isForOfStatement(declaration.parent.parent) ? declaration.initializer : ts.isExportAssignment(declaration) ? declaration.expression : ts.isPropertyAssignment(declaration) ? declaration.initializer : undefined;
    if (!bound) break;
    expr = skipOuterExpressions(bound);
  }
  return expr;
}

/** `(route) => route`, `function defineRoute(r) { return r; }`: the value passes through unchanged. */
function returnsFirstParameter(unit: FunctionUnit): boolean {
  const first = unit.node.parameters[0];
  const body = unit.node.body;
  if (!first || !ts.isIdentifier(first.name) || !body) return false;
  const returned = ts.isBlock(body) ? (body.statements.length === 1 && ts.isReturnStatement(body.statements[0]!) ? body.statements[0].expression : undefined) : body;
  const expr = returned && skipOuterExpressions(returned as ts.Expression);
  return expr !== undefined && ts.isIdentifier(expr) && expr.text === first.name.text;
}

/**
 * Where a binding gets its values: each call of the helper declaring the parameter (only the calls that mount the
 * registering router, when one of them does), or each element of the literal array a loop or an element callback
 * (`routes.forEach((r) => …)`) iterates. `complete` is false when some values are not written in the code (a call
 * spreading its arguments, an array spreading a computed one).
 */
function bindingSites(resolver: Resolver, binding: Binding, mountedThrough: readonly ts.Node[] | undefined): { sites: BindingSite[]; complete: boolean } {
  const { sites, complete } = allSites(resolver, binding);
  const mounting = mountedThrough ? sites.filter((s) => mountedThrough.some((m) => contains(m, s.at))) : [];
  return mounting.length > 0 ? { sites: mounting, complete: true } : { sites, complete };
}

function allSites(resolver: Resolver, binding: Binding): { sites: BindingSite[]; complete: boolean } {
  if (ts.isVariableDeclaration(binding)) return elementSites(resolver, (binding.parent.parent as ts.ForOfStatement).expression, binding);
  const fn = binding.parent;
  const holder = fn.parent;
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isCallExpression(holder) && holder.arguments[0] === fn && fn.parameters[0] === binding) {
    const callee = skipOuterExpressions(holder.expression);
    if (ts.isPropertyAccessExpression(callee) && ELEMENT_CALLBACKS.has(callee.name.text)) return elementSites(resolver, callee.expression, binding);
  }
  const unit = resolver.index.unitOf(fn);
  if (!unit) return { sites: [], complete: true };
  const parameters = (fn as ts.SignatureDeclaration).parameters;
  const sites: BindingSite[] = [];
  let complete = true;
  for (const call of resolver.callersOf(unit)) {
    const args = call.arguments ?? [];
    // Arguments spread into the call cannot be matched to parameters.
    if (args.some(ts.isSpreadElement)) {
      complete = false;
      continue;
    }
    const valuesOf = (parameter: Binding): ts.Expression[] => {
      const position = parameters.indexOf(parameter as ts.ParameterDeclaration);
      if (position < 0 || !ts.isParameter(parameter)) return [];
      if (parameter.dotDotDotToken) return args.slice(position);
      const argument = args[position] ?? parameter.initializer;
      return argument ? [argument] : [];
    };
    sites.push({ at: call, valuesOf });
  }
  return { sites, complete };
}

function elementSites(resolver: Resolver, iterated: ts.Expression, binding: Binding): { sites: BindingSite[]; complete: boolean } {
  const elements = arrayElements(resolver, iterated, 0);
  return { sites: (elements?.values ?? []).map((element) => ({ at: element, valuesOf: (b) => (b === binding ? [element] : []) })), complete: elements?.complete ?? false };
}

/** The elements of a literal array, through consts, imports and spreads of other literal arrays. */
function arrayElements(resolver: Resolver, expression: ts.Expression, depth: number): { values: ts.Expression[]; complete: boolean } | undefined {
  const array = seeThrough(resolver, expression);
  if (!ts.isArrayLiteralExpression(array) || depth > 4) return undefined;
  const values: ts.Expression[] = [];
  let complete = true;
  for (const element of array.elements) {
    if (ts.isOmittedExpression(element)) continue;
    if (!ts.isSpreadElement(element)) {
      values.push(element);
      continue;
    }
    const spread = arrayElements(resolver, element.expression, depth + 1);
    values.push(...(spread?.values ?? []));
    complete &&= spread?.complete ?? false;
  }
  return { values, complete };
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return outer.getSourceFile() === inner.getSourceFile() && outer.pos <= inner.pos && inner.end <= outer.end;
}
