// The contract every framework module fulfils: find the handlers a project registers, with the functions that run for each.
import { ts } from "ts-morph";
import type { CodeIndex } from "../scan/code-index.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, type FunctionUnit } from "../scan/units.js";
import { receivedValue, type NamePlaceholder } from "./caller-values.js";

/** A handler as a framework registers it: its name, where it is registered, and what runs per request, in order. */
export interface HandlerCandidate {
  /** `METHOD /full/path`, `Class.method`, or `<framework> <queue or topic>[/<job>]`. */
  name: string;
  framework: string;
  /** The registration call, decorator or exported name: where the handler is reported. */
  node: ts.Node;
  /** Middleware, guards, interceptors and finally the handler itself, in the order they run. */
  entries: HandlerEntry[];
  /** A job, message or schedule consumer: where its own code dispatches over job types, it is reported once per type (dispatch.ts). */
  job?: boolean;
  /** Calls on this handler's path that run only these functions for it: one job type's implementation, or none for work that runs elsewhere. */
  callTargets?: ReadonlyMap<ts.Node, readonly FunctionUnit[]>;
  /** For each `*` of the name, in order: what it stands for, so a helper's callers can fill it in (forwarded.ts); undefined for a `*` the code writes. */
  placeholders?: (NamePlaceholder | undefined)[];
  /** Tidies a name once callers' values are written into it (a route's doubled slashes). */
  normalizeName?: (name: string) => string;
  /** The calls that mount the registering router into its parents, outermost first: a router factory's handler comes from the factory call among them. */
  mountedThrough?: ts.Node[];
}

export interface HandlerEntry {
  /** The expression naming what runs (a function, a reference, a factory call), when there is one. */
  expression?: ts.Expression;
  /** Where the code binds this entry to the handler when that is not the expression itself (the decorator written on the method or class). */
  boundAt?: ts.Node;
  units: FunctionUnit[];
  /** For an options object a helper passes on (`app.route(route)`): the property of the expression's value that runs. */
  property?: string[];
}

export interface FinderContext {
  index: CodeIndex;
  resolver: Resolver;
  /** Modules imported anywhere in the analysed code. */
  importedModules: ReadonlySet<string>;
}

export interface HandlerFinder {
  /** Framework id written to `handler.framework`. */
  framework: string;
  title: string;
  /** Import specifiers that enable this finder; it is skipped when the project imports none of them. Empty: always run (file-system and export conventions that need no import). */
  modules: string[];
  /** How handlers are found and named (documentation). */
  describe: string;
  find(context: FinderContext): HandlerCandidate[];
}

/**
 * The functions an entry expression runs: an inline function, a reference to one, or a factory call
 * (`transaction()`, `auth({ role })`) whose returned function is the middleware.
 */
export function entryOf(resolver: Resolver, expression: ts.Expression): HandlerEntry {
  const expr = skipOuterExpressions(expression);
  if (ts.isCallExpression(expr)) {
    // `this.handle.bind(this)` runs the bound function itself.
    const callee = skipOuterExpressions(expr.expression);
    const bound = ts.isPropertyAccessExpression(callee) && callee.name.text === "bind" ? resolver.functionTargets(callee.expression) : [];
    if (bound.length > 0) return { expression, units: bound };
    const units: FunctionUnit[] = [];
    for (const factory of resolver.functionTargets(expr.expression)) units.push(...returnedFunctions(resolver, factory));
    return { expression, units };
  }
  return { expression, units: resolver.functionTargets(expr) };
}

function returnedFunctions(resolver: Resolver, factory: FunctionUnit): FunctionUnit[] {
  const body = factory.node.body;
  if (!body) return [];
  if (!ts.isBlock(body)) return isFunctionNode(skipOuterExpressions(body)) ? resolver.functionTargets(body) : [];
  const found: FunctionUnit[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) found.push(...resolver.functionTargets(node.expression));
    if (!isFunctionNode(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/**
 * Every function that runs when a possibly wrapped handler value is invoked, in order: a function or a reference
 * to one; a wrapper call (`withAuth(async (req) => …)`, `middy(base).use(mw)`, `t.middleware(fn)`): the
 * function the wrapper returns, then what its receiver chain and arguments run; a variable holding any of these.
 */
export function wrappedEntries(resolver: Resolver, expression: ts.Expression): HandlerEntry[] {
  // What runs is found behind the wrapper; the use is the expression written where the handler is registered.
  const written = skipOuterExpressions(expression);
  const entries = unwrapEntries(resolver, expression, new Set());
  return isFunctionNode(written) ? entries : entries.map((entry) => ({ ...entry, boundAt: entry.boundAt ?? written }));
}

function unwrapEntries(resolver: Resolver, expression: ts.Expression, seen: Set<ts.Node>): HandlerEntry[] {
  const expr = skipOuterExpressions(expression);
  if (seen.has(expr)) return [];
  seen.add(expr);
  if (ts.isCallExpression(expr)) {
    const own = entryOf(resolver, expr);
    const callee = skipOuterExpressions(expr.expression);
    return [
      ...(own.units.length > 0 ? [own] : []),
      ...(ts.isPropertyAccessExpression(callee) ? unwrapEntries(resolver, callee.expression, seen) : []),
      ...expr.arguments.flatMap((a) => unwrapEntries(resolver, a, seen)),
    ];
  }
  const direct = entryOf(resolver, expr);
  if (direct.units.length > 0) return [direct];
  // A function a helper receives is known at the helper's call sites: kept so that they can supply it.
  if (receivedValue(resolver, expr)) return [direct];
  if (!ts.isIdentifier(expr)) return [];
  const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
  return declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? unwrapEntries(resolver, declaration.initializer!, seen) : [];
}

/** The initializer of the project variable an identifier refers to (through imports); library variables are not read. */
export function projectInitializer(resolver: Resolver, identifier: ts.Identifier): ts.Expression | undefined {
  const declaration = resolver.declarationsOf(identifier).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
  return declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName) ? declaration.initializer : undefined;
}

/** The value an expression names, through project variables bound to other variables (`const a = b; const b = { … }`). */
export function followVariables(resolver: Resolver, expression: ts.Expression, seen: Set<ts.Node> = new Set()): ts.Expression {
  let expr = skipOuterExpressions(expression);
  while (ts.isIdentifier(expr) && !seen.has(expr)) {
    seen.add(expr);
    const init = projectInitializer(resolver, expr);
    if (!init) break;
    expr = skipOuterExpressions(init);
  }
  return expr;
}

/** The expressions a function returns: its expression body, or each `return` of its block (nested functions aside). */
export function returnedExpressions(fn: { body?: ts.Node }): ts.Expression[] {
  const body = fn.body;
  if (!body) return [];
  if (!ts.isBlock(body)) return ts.isExpression(body) ? [body] : [];
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) found.push(node.expression);
    if (!isFunctionNode(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** What an exported binding runs: a function declaration, or what its (possibly wrapped) value runs. */
export function exportEntries(resolver: Resolver, binding: ExportedBinding): HandlerEntry[] {
  const value = binding.value;
  if (!value) return [];
  if (ts.isFunctionDeclaration(value)) {
    const unit = resolver.index.unitOf(value);
    return unit ? [{ units: [unit] }] : [];
  }
  return wrappedEntries(resolver, value).filter((e) => e.units.length > 0);
}

/** A module-level export: its name, the node naming it (where a handler is reported), and the value exported. */
export interface ExportedBinding {
  name: string;
  nameNode: ts.Node;
  /** A function declaration, or the exported expression (initializer, default export, local name of `export { x as y }`). */
  value: ts.FunctionDeclaration | ts.Expression | undefined;
  /** For `export { x } from "./other"`: the module re-exported from. */
  from?: string;
}

/** The exports a module declares, re-exports of single names (`export { GET } from "./x"`) included; `export *` is not listed. */
export function exportedBindings(sourceFile: ts.SourceFile): ExportedBinding[] {
  const out: ExportedBinding[] = [];
  for (const statement of sourceFile.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) ?? [] : [];
    const exported = modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const isDefault = modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      out.push({ name: "default", nameNode: statement.expression, value: statement.expression });
    } else if (ts.isFunctionDeclaration(statement) && exported && statement.body) {
      out.push({ name: isDefault ? "default" : statement.name?.text ?? "default", nameNode: statement.name ?? statement, value: statement });
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) out.push({ name: declaration.name.text, nameNode: declaration.name, value: declaration.initializer });
        // `export const { GET, POST } = handlers`: exported, but what runs is not followed through the destructuring.
        else if (ts.isObjectBindingPattern(declaration.name)) {
          for (const element of declaration.name.elements) if (ts.isIdentifier(element.name)) out.push({ name: element.name.text, nameNode: element.name, value: undefined });
        }
      }
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      for (const specifier of statement.exportClause.elements) {
        if (specifier.isTypeOnly || !ts.isIdentifier(specifier.propertyName ?? specifier.name)) continue;
        // A re-export's local name resolves to nothing here; its exported name resolves through the alias to the other module.
        const value = (from === undefined ? specifier.propertyName ?? specifier.name : specifier.name) as ts.Identifier;
        out.push({ name: specifier.name.text, nameNode: specifier.name, value, ...(from !== undefined ? { from } : {}) });
      }
    }
  }
  return out;
}

/** Every `receiver.method(…)` call in the analysed files, optionally only for some method names. */
export function* methodCalls(index: CodeIndex, names?: ReadonlySet<string>): Generator<{ call: ts.CallExpression; callee: ts.PropertyAccessExpression; method: string }> {
  for (const scan of index.files) {
    for (const { node: call } of scan.calls) {
      if (!ts.isCallExpression(call)) continue;
      const callee = skipOuterExpressions(call.expression);
      if (!ts.isPropertyAccessExpression(callee) || (names && !names.has(callee.name.text))) continue;
      yield { call, callee, method: callee.name.text };
    }
  }
}

/** Every `receiver[key](…)` call in the analysed files (`router[verb](path, handler)`): a method chosen by a value. */
export function* computedMethodCalls(index: CodeIndex): Generator<{ call: ts.CallExpression; receiver: ts.Expression; key: ts.Expression }> {
  for (const scan of index.files) {
    for (const { node: call } of scan.calls) {
      if (!ts.isCallExpression(call)) continue;
      const callee = skipOuterExpressions(call.expression);
      if (ts.isElementAccessExpression(callee)) yield { call, receiver: callee.expression, key: callee.argumentExpression };
    }
  }
}

/** The text of a string literal or a template whose substitutions are written as `*`. */
export function literalText(expression: ts.Expression | undefined): string | undefined {
  if (!expression) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isStringLiteralLike(expr)) return expr.text;
  if (ts.isTemplateExpression(expr)) return expr.head.text + expr.templateSpans.map((s) => "*" + s.literal.text).join("");
  return undefined;
}

/** Join route prefixes: `/api` + `/orders/` + `:id` → `/api/orders/:id`. */
export function joinRoute(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => p !== undefined && p !== "")
    .map((p) => p.replace(/^\/+|\/+$/g, ""))
    .filter((p) => p !== "")
    .join("/");
  return "/" + joined;
}
