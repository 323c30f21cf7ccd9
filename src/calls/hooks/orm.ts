// What every ORM's hook finder shares: the module contract, and how a value is traced to the class, model or client it stands for.
import { ts } from "ts-morph";
import { entryOf } from "../../handlers/finder.js";
import { skipOuterExpressions, type CodeIndex } from "../../scan/code-index.js";
import type { Resolver } from "../../scan/resolve.js";
import { isFunctionNode, propertyNameText, type CallNode, type FunctionUnit } from "../../scan/units.js";

/** One ORM: which hook functions each ORM call in the analysed code runs. */
export interface OrmHooks {
  library: string;
  /** Import specifiers that enable it; skipped when the project imports none. */
  modules: readonly string[];
  /** How hooks are registered and which calls run which (documentation). */
  describe: string;
  findTargets(index: CodeIndex, resolver: Resolver, add: AddTargets): void;
}

export type AddTargets = (call: CallNode, units: readonly FunctionUnit[]) => void;

/** A call `receiver.method(args)` (or a tagged template `client.$queryRaw\`…\``), the shape every ORM operation and hook registration has. */
export interface MethodCall {
  call: ts.CallExpression | ts.TaggedTemplateExpression;
  receiver: ts.Expression;
  method: string;
  args: readonly ts.Expression[];
}

export function* methodCalls(index: CodeIndex): Generator<MethodCall> {
  for (const scan of index.files) {
    for (const { node } of scan.calls) {
      if (ts.isNewExpression(node)) continue;
      const callee = skipOuterExpressions(ts.isCallExpression(node) ? node.expression : node.tag);
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name)) {
        yield { call: node, receiver: callee.expression, method: callee.name.text, args: ts.isCallExpression(node) ? node.arguments : [] };
      }
    }
  }
}

/** The import an expression names (`Model`, `typeorm.Entity`): read from the import itself, so it works without node_modules. */
export function libraryBinding(resolver: Resolver, expression: ts.Expression): { module: string; path: string } | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const binding = resolver.importOf(expr);
    if (binding) return binding;
  }
  const origin = resolver.origins(expr).find((o) => o.form === "value" && !o.typed);
  return origin && { module: origin.module, path: origin.path };
}

export function boundTo(resolver: Resolver, expression: ts.Expression, modules: readonly string[], names: readonly string[]): boolean {
  const binding = libraryBinding(resolver, expression);
  return binding !== undefined && modules.includes(binding.module) && names.includes(binding.path);
}

/** The library decorator a decorator applies (`@BeforeInsert()`, `@BeforeCreate`), as its export name. */
export function decoratorName(resolver: Resolver, decorator: ts.Decorator, modules: readonly string[]): string | undefined {
  const expr = ts.isCallExpression(decorator.expression) ? decorator.expression.expression : decorator.expression;
  const binding = libraryBinding(resolver, expr);
  return binding && modules.includes(binding.module) ? binding.path : undefined;
}

export function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  return ts.canHaveDecorators(node) ? ts.getDecorators(node) ?? [] : [];
}

/** The project class an expression denotes as a value (`Order`, an imported alias, `const Entity = Order`). */
export function classOf(resolver: Resolver, expression: ts.Expression, depth = 0): ts.ClassLikeDeclaration | undefined {
  const expr = skipOuterExpressions(expression);
  if (ts.isClassExpression(expr)) return expr;
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return undefined;
  for (const declaration of resolver.declarationsOf(expr)) {
    if (ts.isClassDeclaration(declaration) && resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return declaration;
    if (ts.isVariableDeclaration(declaration) && declaration.initializer && depth < 4) {
      const cls = classOf(resolver, declaration.initializer, depth + 1);
      if (cls) return cls;
    }
  }
  return undefined;
}

/** The project class a written type names (`Order`, `Order | null`, `Order[]`). */
export function classOfType(resolver: Resolver, type: ts.TypeNode): ts.ClassLikeDeclaration | undefined {
  if (ts.isUnionTypeNode(type)) {
    for (const member of type.types) {
      const cls = classOfType(resolver, member);
      if (cls) return cls;
    }
    return undefined;
  }
  if (ts.isArrayTypeNode(type)) return classOfType(resolver, type.elementType);
  if (ts.isParenthesizedTypeNode(type)) return classOfType(resolver, type.type);
  if (!ts.isTypeReferenceNode(type)) return undefined;
  const name = ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right;
  if ((name.text === "Array" || name.text === "Promise") && type.typeArguments?.length === 1) return classOfType(resolver, type.typeArguments[0]!);
  return resolver.declarationsOf(name).find((d): d is ts.ClassDeclaration => ts.isClassDeclaration(d) && resolver.index.isAnalysed(d.getSourceFile().fileName));
}

/** The project class of the instances a checker type describes (nullable and array types looked through), or undefined. */
export function classOfInstanceType(resolver: Resolver, type: ts.Type, checker: ts.TypeChecker): ts.ClassLikeDeclaration | undefined {
  for (const member of type.isUnion() ? type.types : [type]) {
    const element = checker.isArrayType(member) ? checker.getTypeArguments(member as ts.TypeReference)[0] : member;
    if (!element || element.getConstructSignatures().length > 0) continue;
    const declaration = element.getSymbol()?.declarations?.find(ts.isClassDeclaration);
    if (declaration && resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return declaration;
  }
  return undefined;
}

/** A class and the project classes it extends, nearest first. */
export function classChain(resolver: Resolver, cls: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration[] {
  const chain = [cls];
  for (let current = baseOf(resolver, cls); current && !chain.includes(current); current = baseOf(resolver, current)) chain.push(current);
  return chain;
}

export function extendsClause(cls: ts.ClassLikeDeclaration): ts.ExpressionWithTypeArguments | undefined {
  return cls.heritageClauses?.find((c) => c.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
}

function baseOf(resolver: Resolver, cls: ts.ClassLikeDeclaration): ts.ClassLikeDeclaration | undefined {
  const clause = extendsClause(cls);
  return clause && classOf(resolver, clause.expression);
}

/** Whether a class, or a project class it extends, extends one of a library's classes. */
export function extendsLibraryClass(resolver: Resolver, cls: ts.ClassLikeDeclaration, modules: readonly string[], names: readonly string[]): boolean {
  return classChain(resolver, cls).some((c) => {
    const clause = extendsClause(c);
    return clause !== undefined && boundTo(resolver, clause.expression, modules, names);
  });
}

/** The class a method body runs in, for `this`. */
export function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isClassLike(current)) return current;
    if (ts.isFunctionDeclaration(current) || ts.isFunctionExpression(current)) return undefined;
  }
  return undefined;
}

/** The functions a hook argument runs: an inline function, a reference, a factory's returned function, or a list of these. */
export function functionsOf(resolver: Resolver, expression: ts.Expression): FunctionUnit[] {
  const expr = skipOuterExpressions(expression);
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => functionsOf(resolver, e));
  return entryOf(resolver, expr).units;
}

/** The functions an object literal holds under a property name: a method, or a property holding functions. */
export function memberFunctions(resolver: Resolver, property: ts.ObjectLiteralElementLike): FunctionUnit[] {
  if (ts.isMethodDeclaration(property)) {
    const unit = resolver.index.unitOf(property);
    return unit ? [unit] : [];
  }
  if (ts.isPropertyAssignment(property)) return functionsOf(resolver, property.initializer);
  if (ts.isShorthandPropertyAssignment(property)) return resolver.functionTargets(property.name);
  return [];
}

export function memberName(member: ts.ClassElement | ts.ObjectLiteralElementLike): string | undefined {
  return member.name && !ts.isComputedPropertyName(member.name) ? propertyNameText(member.name) : undefined;
}

/** An object literal written directly, or through a `const` (`const hooks = { … }`). */
export function objectLiteralOf(resolver: Resolver, expression: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!expression) return undefined;
  const expr = skipOuterExpressions(expression);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (!ts.isIdentifier(expr)) return undefined;
  const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
  return declaration && ts.isObjectLiteralExpression(skipOuterExpressions(declaration.initializer!)) ? (skipOuterExpressions(declaration.initializer!) as ts.ObjectLiteralExpression) : undefined;
}

export function propertyOf(object: ts.ObjectLiteralExpression | undefined, name: string): ts.ObjectLiteralElementLike | undefined {
  return object?.properties.find((p) => memberName(p) === name);
}

/** A boolean option written as a literal in any object argument (`{ hooks: false }`, `{ individualHooks: true }`); undefined when not written so. */
export function booleanOption(args: readonly ts.Expression[], name: string): boolean | undefined {
  for (const arg of args) {
    const expr = skipOuterExpressions(arg);
    if (!ts.isObjectLiteralExpression(expr)) continue;
    const property = propertyOf(expr, name);
    if (property && ts.isPropertyAssignment(property)) {
      if (property.initializer.kind === ts.SyntaxKind.TrueKeyword) return true;
      if (property.initializer.kind === ts.SyntaxKind.FalseKeyword) return false;
    }
  }
  return undefined;
}

export function stringValue(expression: ts.Expression | undefined): string | undefined {
  const expr = expression && skipOuterExpressions(expression);
  return expr && ts.isStringLiteralLike(expr) ? expr.text : undefined;
}

/** The expression a function returns: an arrow's expression body, or its first `return`. */
export function returnedExpression(fn: ts.FunctionLikeDeclaration): ts.Expression | undefined {
  const body = fn.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return body;
  let found: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (found || (isFunctionNode(node) && node !== fn)) return;
    if (ts.isReturnStatement(node) && node.expression) found = node.expression;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** How a tracer reads what a value stands for (an entity's repository, a model instance, a database client). */
export interface TraceRules<T> {
  /** What an expression says by itself (a factory call, a `new`), or undefined to look through it. */
  expression(expr: ts.Expression, trace: (e: ts.Expression) => T | undefined): T | undefined;
  /** What a written type says. */
  type?(type: ts.TypeNode): T | undefined;
  /** What a parameter with no telling type says (a decorated constructor parameter, a callback's parameter). */
  parameter?(parameter: ts.ParameterDeclaration, trace: (e: ts.Expression) => T | undefined): T | undefined;
  /** Last resort, when nothing is written: the checker's type. */
  checked?(type: ts.Type, checker: ts.TypeChecker): T | undefined;
}

/**
 * Follows a value back to where it is made: through variables, parameters, class properties (their
 * initializers and constructor assignments), array destructuring and `for … of`, to what the rules recognise.
 */
export function tracer<T>(resolver: Resolver, rules: TraceRules<T>): (expression: ts.Expression) => T | undefined {
  const cache = new Map<ts.Node, T | undefined>();
  const active = new Set<ts.Node>();

  const trace = (input: ts.Expression): T | undefined => {
    const expr = skipOuterExpressions(input);
    if (cache.has(expr)) return cache.get(expr);
    if (active.has(expr)) return undefined;
    active.add(expr);
    let result = rules.expression(expr, trace);
    if (result === undefined && (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr))) {
      for (const declaration of resolver.declarationsOf(expr)) {
        result = fromDeclaration(declaration);
        if (result !== undefined) break;
      }
    }
    if (result === undefined && rules.checked) result = checked(expr);
    active.delete(expr);
    cache.set(expr, result);
    return result;
  };

  const fromDeclaration = (declaration: ts.Node): T | undefined => {
    if (!resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
    if (ts.isBindingElement(declaration)) {
      // `const [order] = await Order.findAll(…)`: an element of the list is what the list holds.
      const holder = declaration.parent.parent;
      return ts.isArrayBindingPattern(declaration.parent) && ts.isVariableDeclaration(holder) && holder.initializer ? trace(holder.initializer) : undefined;
    }
    if (!ts.isVariableDeclaration(declaration) && !ts.isParameter(declaration) && !ts.isPropertyDeclaration(declaration)) return undefined;
    let result = declaration.type && rules.type ? fromType(declaration.type) : undefined;
    if (result === undefined && declaration.initializer) result = trace(declaration.initializer);
    if (result === undefined && ts.isVariableDeclaration(declaration) && ts.isForOfStatement(declaration.parent.parent)) result = trace(declaration.parent.parent.expression);
    if (result === undefined && ts.isParameter(declaration) && rules.parameter) result = rules.parameter(declaration, trace);
    if (result === undefined && ts.isPropertyDeclaration(declaration) && !declaration.initializer) result = fromConstructor(declaration);
    return result;
  };

  /** A written type, through the project's type aliases (`type Db = typeof prisma`). */
  const fromType = (type: ts.TypeNode, depth = 0): T | undefined => {
    const result = rules.type!(type);
    if (result !== undefined || depth > 4 || !ts.isTypeReferenceNode(type)) return result;
    const alias = resolver.declarationsOf(ts.isIdentifier(type.typeName) ? type.typeName : type.typeName.right).find(ts.isTypeAliasDeclaration);
    return alias && resolver.index.isAnalysed(alias.getSourceFile().fileName) ? fromType(alias.type, depth + 1) : undefined;
  };

  /** `private repo; constructor(ds) { this.repo = ds.getRepository(Order) }`. */
  const fromConstructor = (property: ts.PropertyDeclaration): T | undefined => {
    const name = memberName(property);
    const ctor = property.parent.members.find(ts.isConstructorDeclaration);
    if (!name || !ctor?.body) return undefined;
    for (const statement of ctor.body.statements) {
      if (!ts.isExpressionStatement(statement) || !ts.isBinaryExpression(statement.expression) || statement.expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
      const target = statement.expression.left;
      if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword && target.name.text === name) {
        const result = trace(statement.expression.right);
        if (result !== undefined) return result;
      }
    }
    return undefined;
  };

  const checked = (expr: ts.Expression): T | undefined => {
    const type = resolver.typeAt(expr);
    return type ? rules.checked!(type, resolver.checkerFor(expr)!) : undefined;
  };

  return trace;
}
