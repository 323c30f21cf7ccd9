// A project's own job system: a consumer that picks one of several job types by the job's data is reported once per type.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { className, isFunctionNode, propertyNameText, type FunctionUnit } from "../scan/units.js";
import type { FinderContext, HandlerCandidate } from "./finder.js";
import { routePath } from "./route-tree.js";

/** How far a consumer's code is followed into the functions it hands the job to. */
const MAX_DEPTH = 3;

/** One job type behind a dispatch: its name and, for each dispatching call, what runs for it. */
interface JobType {
  name: string;
  targets: Map<ts.Node, FunctionUnit[]>;
}

/** The calls that dispatch through one registry lookup (`tasks[name]`, `definitions.get(job.name)`). */
interface Dispatch {
  lookup: ts.Node;
  calls: { call: ts.CallExpression; callee: ts.PropertyAccessExpression; constructed: boolean }[];
}

/**
 * Replace each job handler whose own code dispatches over job types by one handler per type, named
 * `<handler>/<type>`, whose path runs only that type's code at the dispatching calls. The job handler's own
 * code is its entry functions and the functions it hands the job (or values read from it) to, a few calls deep;
 * a dispatch is a method call on a value looked up in a collection by a key read from the job
 * (`new tasks[job.data.name]().perform()`, `this.definitions[job.name].handler(…)`). The types are the concrete
 * subclasses of the looked-up class or interface (the method each one runs, inherited or its own), or the object
 * literals typed as the looked-up definition type (named by their `id` or `name`). A consumer calling one
 * function, or running every registered type for each job, stays one handler.
 */
export function splitDispatch(context: FinderContext, candidates: HandlerCandidate[]): HandlerCandidate[] {
  return candidates.flatMap((candidate) => {
    if (!candidate.job) return [candidate];
    const types = jobTypes(context.resolver, candidate);
    if (!types) return [candidate];
    return types.map((type) => ({
      ...candidate,
      name: `${candidate.name}/${type.name}`,
      callTargets: new Map([...(candidate.callTargets ?? []), ...type.targets]),
    }));
  });
}

function jobTypes(resolver: Resolver, candidate: HandlerCandidate): JobType[] | undefined {
  for (const dispatch of dispatches(resolver, candidate)) {
    const types = classTypes(resolver, dispatch) ?? definitionTypes(resolver, dispatch);
    if (!types) continue;
    const distinct = new Set(types.flatMap((t) => [...t.targets.values()].flat().map((u) => u.id)));
    if (types.length >= 2 && distinct.size >= 2) return types;
  }
  return undefined;
}

/** The dispatching calls in a job handler's own code, grouped by the lookup they go through, in the order found. */
function dispatches(resolver: Resolver, candidate: HandlerCandidate): Dispatch[] {
  const tainted = new Set<ts.Node>();
  const mentions = (node: ts.Node): boolean => {
    let found = false;
    const visit = (child: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(child)) found = resolver.declarationsOf(child).some((d) => tainted.has(d));
      else if (ts.isPropertyAccessExpression(child)) visit(child.expression);
      else ts.forEachChild(child, visit);
    };
    visit(node);
    return found;
  };
  const taint = (declaration: ts.Node): void => {
    tainted.add(declaration);
    const name = (declaration as ts.NamedDeclaration).name;
    if (name && (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name))) {
      for (const element of name.elements) if (ts.isBindingElement(element)) taint(element);
    }
  };

  const found = new Map<ts.Node, Dispatch>();
  const visited = new Set<number>();
  const queue: { unit: FunctionUnit; depth: number }[] = [];
  for (const entry of candidate.entries) {
    for (const unit of entry.units) {
      unit.node.parameters.forEach((p) => taint(p));
      queue.push({ unit, depth: 0 });
    }
  }
  while (queue.length > 0) {
    const { unit, depth } = queue.shift()!;
    if (visited.has(unit.id) || !unit.node.body) continue;
    visited.add(unit.id);
    const body = unit.node.body;
    // Values read from the job: variables, loop variables and callback parameters over them (two passes reach what later statements assign).
    for (let pass = 0; pass < 2; pass++) {
      const spread = (node: ts.Node): void => {
        if (ts.isVariableDeclaration(node) && node.initializer && mentions(node.initializer)) taint(node);
        if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && mentions(node.expression) && ts.isVariableDeclarationList(node.initializer)) {
          for (const declaration of node.initializer.declarations) taint(declaration);
        }
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && mentions(node.expression.expression)) {
          for (const argument of node.arguments) if (isFunctionNode(argument)) argument.parameters.forEach((p) => taint(p));
        }
        ts.forEachChild(node, spread);
      };
      spread(body);
    }
    const calls = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = skipOuterExpressions(node.expression);
        if (ts.isPropertyAccessExpression(callee)) {
          const lookup = lookupOf(resolver, callee.expression, mentions, false, 0);
          if (lookup) {
            const dispatch = found.get(lookup.node) ?? { lookup: lookup.node, calls: [] };
            dispatch.calls.push({ call: node, callee, constructed: lookup.constructed });
            found.set(lookup.node, dispatch);
          }
        }
        const resolution = resolver.resolveCall(node);
        const passed = node.arguments.map((a) => mentions(a));
        if (depth < MAX_DEPTH && resolution.kind === "code" && resolution.units.length === 1 && passed.some(Boolean)) {
          const next = resolution.units[0]!;
          next.node.parameters.forEach((p, i) => {
            if (passed[i] || (p.dotDotDotToken && passed.slice(i).some(Boolean))) taint(p);
          });
          queue.push({ unit: next, depth: depth + 1 });
        }
      }
      ts.forEachChild(node, calls);
    };
    calls(body);
  }
  return [...found.values()];
}

/**
 * The lookup a receiver's value comes from: an element (`registry[key]`, `registry.get(key)`,
 * `registry.find((d) => … key …)`) chosen by a key read from the job, possibly constructed (`new Class()`)
 * and held in variables on the way.
 */
function lookupOf(resolver: Resolver, expression: ts.Expression, mentions: (node: ts.Node) => boolean, constructed: boolean, depth: number): { node: ts.Node; constructed: boolean } | undefined {
  if (depth > 6) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer !== undefined);
    return declaration ? lookupOf(resolver, declaration.initializer!, mentions, constructed, depth + 1) : undefined;
  }
  if (ts.isNewExpression(expr)) return lookupOf(resolver, expr.expression, mentions, true, depth + 1);
  if (ts.isElementAccessExpression(expr)) return mentions(expr.argumentExpression) ? { node: expr, constructed } : undefined;
  if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && expr.arguments.length === 1) {
    const method = expr.expression.name.text;
    const [argument] = expr.arguments;
    if ((method === "get" || method === "find") && mentions(argument!)) return { node: expr, constructed };
  }
  return undefined;
}

/** Job types as classes: the concrete subclasses (or implementations) of the looked-up class or interface. */
function classTypes(resolver: Resolver, dispatch: Dispatch): JobType[] | undefined {
  const { index } = resolver;
  const first = dispatch.calls[0]!;
  const base = dispatchedClass(resolver, first.callee.expression, dispatch.lookup, first.constructed);
  if (!base) return undefined;
  const classes = [base.declaration, ...index.subtypesOf(base.declaration)].filter(
    (c, i, all): c is ts.ClassLikeDeclaration => ts.isClassLike(c) && all.indexOf(c) === i && !hasModifier(c, ts.SyntaxKind.AbstractKeyword),
  );
  if (classes.length === 0) return undefined;
  return classes.map((cls) => ({
    name: className(cls),
    targets: new Map(dispatch.calls.map(({ call, callee }) => [call, memberUnits(resolver, cls, callee.name.text, base.isStatic, base.declaration)])),
  }));
}

/** The project class or interface a dispatching receiver is typed as; a constructor value (`typeof Base`) calls static members. */
function dispatchedClass(resolver: Resolver, receiver: ts.Expression, lookup: ts.Node, constructed: boolean): { declaration: ts.ClassLikeDeclaration | ts.InterfaceDeclaration; isStatic: boolean } | undefined {
  const declarationOf = (type: ts.Type) => {
    const declaration = type.getSymbol()?.declarations?.find((d): d is ts.ClassLikeDeclaration | ts.InterfaceDeclaration => ts.isClassLike(d) || ts.isInterfaceDeclaration(d));
    return declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? declaration : undefined;
  };
  const fromType = (node: ts.Node, made: boolean) => {
    const type = resolver.typeAt(node);
    if (!type) return undefined;
    // `typeof Base`, `typeof Base<T>`, `new () => Base`: the instances it makes are Base.
    const instance = type.getConstructSignatures()[0]?.getReturnType();
    const declaration = (instance && declarationOf(instance)) ?? declarationOf(type);
    return declaration ? { declaration, isStatic: instance !== undefined && !made } : undefined;
  };
  // `new Registry[name]()` of an abstract class is typed `any`: the constructor it was made from says which class it is.
  return fromType(receiver, false) ?? (constructed ? fromType(lookup, true) : undefined);
}

/** What `cls.name` runs: its own member or the nearest inherited one, up to the dispatching base. */
function memberUnits(resolver: Resolver, cls: ts.ClassLikeDeclaration, name: string, isStatic: boolean, base: ts.Node): FunctionUnit[] {
  let current: ts.ClassLikeDeclaration | undefined = cls;
  const seen = new Set<ts.Node>();
  while (current && !seen.has(current)) {
    seen.add(current);
    for (const member of current.members) {
      if (!member.name || propertyNameText(member.name) !== name || hasModifier(member, ts.SyntaxKind.StaticKeyword) !== isStatic) continue;
      const unit = resolver.index.unitOf(member);
      if (unit) return [unit];
    }
    if (current === base) break;
    const extended: ts.ExpressionWithTypeArguments | undefined = current.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    current = extended && resolver.declarationsOf(extended.expression).find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d) && resolver.index.isAnalysed(d.getSourceFile().fileName));
  }
  return [];
}

const definitionCache = new WeakMap<ts.Node, { object: ts.ObjectLiteralExpression; name: string }[]>();

/** Job types as definitions: the object literals typed as the looked-up definition type, each running its own function property. */
function definitionTypes(resolver: Resolver, dispatch: Dispatch): JobType[] | undefined {
  const member = (callee: ts.PropertyAccessExpression) =>
    resolver.declarationsOf(callee).find((d) => (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d) || ts.isMethodSignature(d)) && resolver.index.isAnalysed(d.getSourceFile().fileName));
  const declarations = dispatch.calls.map(({ callee }) => member(callee));
  const first = declarations[0];
  if (!first) return undefined;
  const definitions = definitionsTyped(resolver, first, dispatch.calls[0]!.callee.name.text);
  if (definitions.length === 0) return undefined;
  return definitions.map(({ object, name }) => ({
    name,
    targets: new Map(dispatch.calls.map(({ call, callee }, i) => [call, declarations[i] ? propertyUnits(resolver, object, callee.name.text) : []])),
  }));
}

function definitionsTyped(resolver: Resolver, declaration: ts.Node, property: string): { object: ts.ObjectLiteralExpression; name: string }[] {
  const cached = definitionCache.get(declaration);
  if (cached) return cached;
  const typed: ts.ObjectLiteralExpression[] = [];
  for (const scan of resolver.index.files) {
    const checker = resolver.checkerFor(scan.sourceFile);
    if (!checker) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node) && node.properties.some((p) => p.name && propertyNameText(p.name) === property) && typedAs(checker, node, property, declaration)) typed.push(node);
      ts.forEachChild(node, visit);
    };
    visit(scan.sourceFile);
  }
  // A definition held in a variable that nothing reads is registered nowhere.
  const holders = new Map(typed.map((object) => [object, holderOf(object)]));
  const read = readVariables(resolver, new Set([...holders.values()].filter((h): h is ts.VariableDeclaration => h !== undefined)));
  const found = typed.filter((object) => !holders.get(object) || read.has(holders.get(object)!)).map((object) => ({ object, name: definitionName(resolver, object) }));
  definitionCache.set(declaration, found);
  return found;
}

/** The variable an object literal is stored in, directly or through a wrapping call (`const JOB = defineJob({ … })`). */
function holderOf(object: ts.ObjectLiteralExpression): ts.VariableDeclaration | undefined {
  let node: ts.Node = object;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isSatisfiesExpression(node.parent) || (ts.isCallExpression(node.parent) && node.parent.arguments.includes(node as ts.Expression))) node = node.parent;
  return ts.isVariableDeclaration(node.parent) && node.parent.initializer === node && ts.isIdentifier(node.parent.name) ? node.parent : undefined;
}

/** Which of these variables some code reads (an import or re-export alone is no read). */
function readVariables(resolver: Resolver, variables: ReadonlySet<ts.VariableDeclaration>): Set<ts.VariableDeclaration> {
  const names = new Set([...variables].map((v) => (v.name as ts.Identifier).text));
  const read = new Set<ts.VariableDeclaration>();
  if (names.size === 0) return read;
  for (const scan of resolver.index.files) {
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && names.has(node.text) && !(ts.isVariableDeclaration(node.parent) && node.parent.name === node) && !ts.isImportSpecifier(node.parent) && !ts.isExportSpecifier(node.parent)) {
        for (const declaration of resolver.declarationsOf(node)) if (variables.has(declaration as ts.VariableDeclaration)) read.add(declaration as ts.VariableDeclaration);
      }
      ts.forEachChild(node, visit);
    };
    visit(scan.sourceFile);
  }
  return read;
}

function typedAs(checker: ts.TypeChecker, object: ts.ObjectLiteralExpression, property: string, declaration: ts.Node): boolean {
  let type: ts.Type | undefined;
  try {
    type = checker.getContextualType(object);
  } catch {
    return false;
  }
  if (!type) return false;
  return (type.isUnion() ? type.types : [type]).some((t) => t.getProperty(property)?.declarations?.includes(declaration as ts.Declaration) === true);
}

/** A definition's `id`, else its `name`, else the variable holding it. */
function definitionName(resolver: Resolver, object: ts.ObjectLiteralExpression): string {
  for (const key of ["id", "name"]) {
    const property = object.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyNameText(p.name) === key);
    const text = property && routePath(resolver, property.initializer);
    if (text !== undefined && text !== "*") return text;
  }
  const holder = holderOf(object);
  return holder ? (holder.name as ts.Identifier).text : "*";
}

function propertyUnits(resolver: Resolver, object: ts.ObjectLiteralExpression, name: string): FunctionUnit[] {
  for (const property of object.properties) {
    if (!property.name || propertyNameText(property.name) !== name) continue;
    if (ts.isPropertyAssignment(property)) return resolver.functionTargets(property.initializer);
    if (ts.isShorthandPropertyAssignment(property)) return resolver.functionTargets(property.name);
    const unit = resolver.index.unitOf(property);
    return unit ? [unit] : [];
  }
  return [];
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}
