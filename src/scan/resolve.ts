// Resolution shared by every later stage: which project functions an expression denotes, and which library value it comes from.
import { ts } from "ts-morph";
import { safeAliased, skipOuterExpressions, type CodeIndex } from "./code-index.js";
import { isFunctionNode, type FunctionUnit } from "./units.js";

/**
 * Where a value comes from in a library: `module` is the import specifier (or, with types, the
 * package declaring the type), `path` the export path (`default`, `Router`, `default.Router`) or
 * the declared type name, `form` whether it is the export itself, something made from it by
 * `new` or a call, or a value derived from such an instance (a method's result, a callback's parameter).
 */
export interface Origin {
  module: string;
  path: string;
  form: "value" | "instance" | "derived";
  typed: boolean;
}

export type CallSite = ts.CallExpression | ts.NewExpression;

/** Index key of calls made through a renamed import, whatever the function's own name. */
const RENAMED = "\0renamed";

export type CallResolution =
  | { kind: "code"; units: FunctionUnit[] }
  | { kind: "external" }
  | { kind: "indirect" }
  | { kind: "unresolved" };

export class Resolver {
  private readonly originCache = new Map<ts.Node, Origin[]>();
  private readonly inProgress = new Set<ts.Node>();
  private readonly aliasesInProgress = new Set<ts.Node>();
  private readonly assignmentCache = new Map<ts.Node, Map<string, ts.Expression[]>>();
  private readonly targetCache = new Map<ts.Node, FunctionUnit[]>();
  private readonly callerCache = new Map<number, CallSite[]>();
  private callNameIndex?: Map<string, CallSite[]>;

  constructor(readonly index: CodeIndex) {}

  checkerFor(node: ts.Node): ts.TypeChecker | undefined {
    return this.index.programOf(node.getSourceFile().fileName)?.checker;
  }

  symbolAt(node: ts.Node): ts.Symbol | undefined {
    const checker = this.checkerFor(node);
    if (!checker) return undefined;
    const target = ts.isPropertyAccessExpression(node) ? node.name : node;
    try {
      // `{ handleMessage }` names the variable in scope, not the object's property.
      if (ts.isShorthandPropertyAssignment(target.parent) && target.parent.name === target) return checker.getShorthandAssignmentValueSymbol(target.parent);
      return checker.getSymbolAtLocation(target);
    } catch {
      return undefined;
    }
  }

  /** Declarations behind an expression, following imports into project files. */
  declarationsOf(node: ts.Node): ts.Node[] {
    const symbol = this.symbolAt(node);
    if (!symbol) return [];
    const checker = this.checkerFor(node)!;
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? safeAliased(checker, symbol) : symbol;
    return resolved?.declarations ?? [];
  }

  /** Project functions an expression denotes: a function, a method (with its overrides and implementations), a class's constructor. */
  functionTargets(expression: ts.Expression): FunctionUnit[] {
    const expr = skipOuterExpressions(expression);
    const cached = this.targetCache.get(expr);
    if (cached) return cached;
    this.targetCache.set(expr, []);
    const found = new Map<number, FunctionUnit>();
    const add = (unit: FunctionUnit | undefined): void => {
      if (unit) found.set(unit.id, unit);
    };
    if (isFunctionNode(expr)) {
      add(this.index.unitOf(expr));
    } else if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr)) {
      for (const declaration of this.declarationsOf(ts.isElementAccessExpression(expr) ? expr.argumentExpression : expr)) {
        for (const unit of this.unitsOfDeclaration(declaration)) add(unit);
      }
    }
    const result = [...found.values()].sort((a, b) => a.id - b.id);
    this.targetCache.set(expr, result);
    return result;
  }

  private unitsOfDeclaration(declaration: ts.Node): FunctionUnit[] {
    const direct = this.index.unitOf(declaration);
    const units: FunctionUnit[] = direct ? [direct] : [];
    if (ts.isClassDeclaration(declaration) || ts.isClassExpression(declaration)) {
      const ctor = declaration.members.find(ts.isConstructorDeclaration);
      const unit = ctor && this.index.unitOf(ctor);
      if (unit) units.push(unit);
    }
    if (ts.isVariableDeclaration(declaration) && declaration.initializer && !direct) {
      const init = skipOuterExpressions(declaration.initializer);
      if (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init)) units.push(...this.functionTargets(init));
    }
    // `export default { client, transaction }` and `const { transaction } = prisma`: the function the property names.
    if (ts.isShorthandPropertyAssignment(declaration) && !direct) units.push(...this.functionTargets(declaration.name));
    if (ts.isBindingElement(declaration) && !direct) {
      for (const property of this.destructuredProperties(declaration)) units.push(...this.unitsOfDeclaration(property));
    }
    if (ts.isExportAssignment(declaration) && !direct) {
      const init = skipOuterExpressions(declaration.expression);
      if (ts.isIdentifier(init)) units.push(...this.functionTargets(init));
    }
    // Dynamic dispatch: a method called through an interface or a base class reaches every implementation.
    const memberName = memberNameOf(declaration);
    const container = declaration.parent;
    if (memberName && container && (ts.isInterfaceDeclaration(container) || ts.isClassLike(container)) && this.index.isAnalysed(container.getSourceFile().fileName)) {
      for (const sub of this.index.subtypesOf(container)) {
        for (const member of sub.members) {
          if (memberNameOf(member) === memberName) {
            const unit = this.index.unitOf(member);
            if (unit) units.push(unit);
          }
        }
      }
    }
    return units;
  }

  /** How a call resolves: to project code, to a library, to a function value passed in, or not at all. */
  resolveCall(call: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression): CallResolution {
    const callee = ts.isTaggedTemplateExpression(call) ? call.tag : call.expression;
    const units = this.functionTargets(callee);
    if (units.length > 0) return { kind: "code", units };
    const expr = skipOuterExpressions(callee);
    if (expr.kind === ts.SyntaxKind.SuperKeyword || expr.kind === ts.SyntaxKind.ImportKeyword) return { kind: "external" };
    const declarations = this.declarationsOf(expr);
    if (declarations.length > 0) {
      if (declarations.some((d) => !this.index.isAnalysed(d.getSourceFile().fileName))) return { kind: "external" };
      if (declarations.some((d) => ts.isParameter(d) || ts.isBindingElement(d) || isFunctionTyped(d))) return { kind: "indirect" };
      return { kind: "external" };
    }
    const base = ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) ? expr.expression : expr;
    if (this.origins(base).length > 0 || (ts.isIdentifier(expr) && this.importOf(expr))) return { kind: "external" };
    // Runtime globals (`Buffer.from`, `process.exit`) are the platform's, even when @types/node is not installed.
    const root = rootIdentifier(expr);
    if (root && RUNTIME_GLOBALS.has(root.text) && !this.symbolAt(root)?.declarations?.length) return { kind: "external" };
    return { kind: "unresolved" };
  }

  /** The import an identifier is bound to, read from the import declaration itself (works with no node_modules). */
  importOf(identifier: ts.Identifier): { module: string; path: string } | undefined {
    const symbol = this.symbolAt(identifier);
    const declaration = symbol?.declarations?.[0];
    return declaration ? this.bindingOf(declaration) : undefined;
  }

  /** The import a declaration binds, its module named as the library when the specifier names a client generated into the project. */
  private bindingOf(declaration: ts.Node): { module: string; path: string } | undefined {
    const binding = importBinding(declaration);
    return binding && { module: this.index.moduleOf(declaration.getSourceFile(), binding.module), path: binding.path };
  }

  /** Library origins of a value, from its declarations and, when they say nothing, its type. */
  origins(expression: ts.Expression): Origin[] {
    const expr = skipOuterExpressions(expression);
    const cached = this.originCache.get(expr);
    if (cached) return cached;
    if (this.inProgress.has(expr)) return [];
    this.inProgress.add(expr);
    let result = this.syntacticOrigins(expr);
    if (result.length === 0) result = this.typedOrigins(expr);
    this.inProgress.delete(expr);
    result = dedupe(result);
    this.originCache.set(expr, result);
    return result;
  }

  private syntacticOrigins(expr: ts.Expression): Origin[] {
    if (ts.isIdentifier(expr)) return this.symbolOrigins(expr);
    if (expr.kind === ts.SyntaxKind.SuperKeyword) {
      const cls = ts.findAncestor(expr, ts.isClassLike);
      return cls ? this.heritageOrigins(cls, "instance") : [];
    }
    if (expr.kind === ts.SyntaxKind.ThisKeyword) {
      // In a static member `this` is the class itself (`this.sequelize` on a Model subclass), elsewhere an instance.
      const member = ts.findAncestor(expr, (n) => ts.isClassElement(n) && ts.isClassLike(n.parent)) as ts.ClassElement | undefined;
      const cls = member?.parent as ts.ClassLikeDeclaration | undefined;
      const isStatic = member !== undefined && ts.canHaveModifiers(member) && (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
      return cls ? this.heritageOrigins(cls, isStatic ? "value" : "instance") : [];
    }
    if (ts.isPropertyAccessExpression(expr)) {
      // A member of an instance is derived from it; it is also named (`Model.sequelize`) so rules can ask for that member.
      const base = this.origins(expr.expression).flatMap((o): Origin[] =>
        o.form === "value"
          ? [{ ...o, path: joinPath(o.path, expr.name.text) }]
          : o.form === "instance" && !o.typed
            ? [{ ...o, form: "derived" }, { ...o, path: joinPath(o.path, expr.name.text), form: "derived" }]
            : [{ ...o, form: "derived" }],
      );
      return base.length > 0 ? base : this.symbolOrigins(expr);
    }
    if (ts.isElementAccessExpression(expr)) return this.origins(expr.expression).map((o) => ({ ...o, form: "derived" }));
    if (ts.isCallExpression(expr)) {
      const callee = this.origins(expr.expression).map((o) => ({ ...o, form: o.form === "value" ? ("instance" as const) : ("derived" as const) }));
      if (isRequireCall(expr)) return [{ module: this.index.moduleOf(expr.getSourceFile(), (expr.arguments[0] as ts.StringLiteral).text), path: "default", form: "value", typed: false }];
      return callee.length > 0 ? callee : this.returnedOrigins(expr);
    }
    if (ts.isNewExpression(expr)) {
      const callee = this.origins(expr.expression).map((o) => ({ ...o, form: "instance" as const }));
      if (callee.length > 0) return callee;
      const cls = this.declarationsOf(expr.expression).find(ts.isClassLike);
      return cls ? this.heritageOrigins(cls, "instance") : [];
    }
    if (ts.isConditionalExpression(expr)) return [...this.origins(expr.whenTrue), ...this.origins(expr.whenFalse)];
    if (ts.isBinaryExpression(expr) && (expr.operatorToken.kind === ts.SyntaxKind.BarBarToken || expr.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) {
      return [...this.origins(expr.left), ...this.origins(expr.right)];
    }
    return [];
  }

  private symbolOrigins(node: ts.Identifier | ts.PropertyAccessExpression): Origin[] {
    const symbol = this.symbolAt(node);
    if (!symbol) return [];
    const origins: Origin[] = [];
    for (const declaration of symbol.declarations ?? []) origins.push(...this.declarationOrigins(declaration, symbol));
    return origins;
  }

  private declarationOrigins(declaration: ts.Declaration, symbol: ts.Symbol): Origin[] {
    const binding = this.bindingOf(declaration);
    if (binding) {
      if (!binding.module.startsWith(".") && !this.importsProject(declaration, symbol)) return [{ module: binding.module, path: binding.path, form: "value", typed: false }];
      const checker = this.checkerFor(declaration);
      const target = checker && safeAliased(checker, symbol);
      return (target?.declarations ?? []).flatMap((d) => this.declarationOrigins(d, target!));
    }
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration) || ts.isPropertySignature(declaration) || ts.isParameter(declaration)) {
      if (ts.isVariableDeclaration(declaration) && !ts.isIdentifier(declaration.name)) return [];
      // A declared type says what the value is more precisely than where it was read from (`const db: PoolClient = ctx.state.db`).
      const declared = declaration.type ? this.typeOrigins(declaration.type) : [];
      if (declared.length > 0) return declared;
      const fromInit = "initializer" in declaration && declaration.initializer ? this.origins(declaration.initializer) : [];
      if (fromInit.length > 0) return fromInit;
      if (ts.isVariableDeclaration(declaration)) return this.assignedOrigins(declaration);
      if (ts.isParameter(declaration)) {
        const fromCallback = this.callbackParameterOrigins(declaration);
        return fromCallback.length > 0 ? fromCallback : this.argumentsOf(declaration).flatMap((argument) => this.origins(argument));
      }
      return [];
    }
    if (ts.isBindingElement(declaration)) {
      const pattern = declaration.parent;
      const holder = pattern.parent;
      // `...[router, tenant]: RouterInitArgs<T>`: element i of a rest parameter is argument (its position + i) at each call.
      if (ts.isArrayBindingPattern(pattern)) {
        const passed = this.passedValues(declaration);
        if (passed.length > 0) return passed.flatMap((a) => this.origins(a));
        // `const [subscription] = await topic.createSubscription(name)`: an element of a library value derives from it.
        return ts.isVariableDeclaration(holder) && holder.initializer ? this.origins(holder.initializer).map((o) => ({ ...o, form: "derived" as const })) : [];
      }
      const name = declaration.propertyName ? textOf(declaration.propertyName) : ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
      if (!name) return [];
      let base: Origin[] = [];
      if (ts.isVariableDeclaration(holder) && holder.initializer) {
        base = this.origins(holder.initializer);
        // `const { client } = prisma` of a project object (`export default { client, transaction }`): its property's value.
        if (base.length === 0) return this.destructuredProperties(declaration).flatMap((property) => this.declarationOrigins(property as ts.Declaration, symbol));
      }
      else if (ts.isParameter(holder)) {
        base = holder.type ? this.typeOrigins(holder.type) : this.callbackParameterOrigins(holder);
        // `function routes({ db }) {…}` called as `routes({ db: pool })`: the property each call passes.
        if (base.length === 0) return this.argumentsOf(holder).flatMap((argument) => this.propertyOrigins(argument, name));
      }
      return base.map((o) => (o.form === "value" ? { ...o, path: joinPath(o.path, name) } : { ...o, form: "derived" }));
    }
    if (ts.isClassLike(declaration)) return this.heritageOrigins(declaration, "value");
    if (ts.isGetAccessorDeclaration(declaration) || ts.isMethodDeclaration(declaration)) return this.returnedBy(declaration);
    if (ts.isShorthandPropertyAssignment(declaration)) return this.origins(declaration.name);
    if (ts.isPropertyAssignment(declaration)) return this.origins(declaration.initializer);
    return [];
  }

  /** A non-relative import that a tsconfig `paths` alias (`@/lib/db`, `~/server/trpc`) maps into the analysed project. */
  private importsProject(declaration: ts.Declaration, symbol: ts.Symbol): boolean {
    const checker = this.checkerFor(declaration);
    const target = checker && safeAliased(checker, symbol);
    return (target?.declarations ?? []).some((d) => this.index.isAnalysed(d.getSourceFile().fileName));
  }

  /** The declarations of the property a binding element takes from its variable's value (`transaction` in `const { transaction } = prisma`). */
  private destructuredProperties(element: ts.BindingElement): ts.Node[] {
    const holder = element.parent.parent;
    if (!ts.isObjectBindingPattern(element.parent) || !ts.isVariableDeclaration(holder) || !holder.initializer) return [];
    const name = element.propertyName ? textOf(element.propertyName) : ts.isIdentifier(element.name) ? element.name.text : undefined;
    const property = name ? this.typeAt(holder.initializer)?.getProperty(name) : undefined;
    return (property?.declarations ?? []).filter((d) => d !== element && this.index.isAnalysed(d.getSourceFile().fileName));
  }

  /** `let db; … db = new Pool()`: what is assigned to an uninitialised variable in its scope. */
  private assignedOrigins(declaration: ts.VariableDeclaration): Origin[] {
    const name = declaration.name;
    // Only project code is searched: a `declare var` in lib.dom.d.ts has no assignments worth a walk of the file.
    if (!this.index.isAnalysed(declaration.getSourceFile().fileName)) return [];
    const scope = ts.findAncestor(declaration.parent, (n) => ts.isBlock(n) || ts.isSourceFile(n) || isFunctionNode(n));
    if (!scope || !ts.isIdentifier(name)) return [];
    return (this.assignmentsIn(scope).get(name.text) ?? []).flatMap((value) => this.origins(value));
  }

  /** `name = value` assignments in a scope, indexed once per scope. */
  private assignmentsIn(scope: ts.Node): Map<string, ts.Expression[]> {
    let assignments = this.assignmentCache.get(scope);
    if (assignments) return assignments;
    const found = new Map<string, ts.Expression[]>();
    const visit = (node: ts.Node): void => {
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(node.left)) {
        found.set(node.left.text, [...(found.get(node.left.text) ?? []), node.right]);
      }
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(scope, visit);
    assignments = found;
    this.assignmentCache.set(scope, assignments);
    return assignments;
  }

  /**
   * The arguments every call in the analysed code passes for a parameter of a project function
   * (`offset` counts into a rest parameter); calls that spread arguments before it are skipped.
   */
  private argumentsOf(parameter: ts.ParameterDeclaration, offset = 0, seen = new Set<ts.ParameterDeclaration>()): ts.Expression[] {
    const fn = parameter.parent;
    const unit = isFunctionNode(fn) ? this.index.unitOf(fn) : undefined;
    if (!unit || seen.has(parameter)) return [];
    seen.add(parameter);
    const position = fn.parameters.indexOf(parameter) + offset;
    const out: ts.Expression[] = [];
    for (const call of this.callersOf(unit)) {
      const args = call.arguments ?? [];
      const spread = args.findIndex(ts.isSpreadElement);
      if (spread < 0 || spread > position) {
        if (position < args.length) out.push(args[position]!);
        continue;
      }
      // `accountRoutes(...args)` forwarding the caller's own rest parameter: what the caller's callers pass.
      const forwarded = this.restParameter((args[spread] as ts.SpreadElement).expression);
      if (forwarded) out.push(...this.argumentsOf(forwarded, position - spread, seen));
    }
    return out;
  }

  /**
   * What the calls in the analysed code pass for a parameter, or for a name destructured from one
   * (`...[router]: Args`, `const [router] = args` of a rest parameter, `{ router }` from an object literal argument).
   */
  passedValues(declaration: ts.Node): ts.Expression[] {
    if (ts.isParameter(declaration)) return this.argumentsOf(declaration);
    if (!ts.isBindingElement(declaration)) return [];
    const pattern = declaration.parent;
    const holder = pattern.parent;
    if (ts.isArrayBindingPattern(pattern)) {
      const rest = ts.isParameter(holder) ? holder : ts.isVariableDeclaration(holder) && holder.initializer ? this.restParameter(holder.initializer) : undefined;
      return rest?.dotDotDotToken ? this.argumentsOf(rest, pattern.elements.indexOf(declaration)) : [];
    }
    const name = declaration.propertyName ? textOf(declaration.propertyName) : ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
    if (!ts.isParameter(holder) || name === undefined) return [];
    return this.argumentsOf(holder).flatMap((argument) => {
      const expr = skipOuterExpressions(argument);
      const property = ts.isObjectLiteralExpression(expr) ? expr.properties.find((p) => p.name !== undefined && !ts.isComputedPropertyName(p.name) && textOf(p.name) === name) : undefined;
      return property && ts.isPropertyAssignment(property) ? [property.initializer] : property && ts.isShorthandPropertyAssignment(property) ? [property.name] : [];
    });
  }

  /** `const [router, tenant] = args` where `args` is the function's rest parameter. */
  private restParameter(expression: ts.Expression): ts.ParameterDeclaration | undefined {
    const expr = skipOuterExpressions(expression);
    if (!ts.isIdentifier(expr)) return undefined;
    return this.declarationsOf(expr).find((d): d is ts.ParameterDeclaration => ts.isParameter(d) && d.dotDotDotToken !== undefined);
  }

  /** What `name` is in a value passed for a destructured parameter: the object literal's property, or a member of the value's origins. */
  private propertyOrigins(argument: ts.Expression, name: string): Origin[] {
    const expr = skipOuterExpressions(argument);
    if (ts.isObjectLiteralExpression(expr)) {
      const property = expr.properties.find((p) => p.name !== undefined && !ts.isComputedPropertyName(p.name) && textOf(p.name) === name);
      if (property && ts.isPropertyAssignment(property)) return this.origins(property.initializer);
      if (property && ts.isShorthandPropertyAssignment(property)) return this.origins(property.name);
      return [];
    }
    return this.origins(expr).map((o) => (o.form === "value" ? { ...o, path: joinPath(o.path, name) } : { ...o, form: "derived" }));
  }

  /**
   * Calls in the analysed code of a project function. Only calls written with one of the function's names, or
   * through an import renamed in the calling file (`import routes from "./hook"`), are resolved: resolving every
   * call of a large project to find a few callers costs more than the rest of the analysis.
   */
  callersOf(unit: FunctionUnit): readonly CallSite[] {
    const cached = this.callerCache.get(unit.id);
    if (cached) return cached;
    const byName = this.callsByName();
    const candidates = new Set<CallSite>([...callableNames(unit.node), RENAMED].flatMap((name) => byName.get(name) ?? []));
    const found = [...candidates].filter((call) => this.functionTargets(call.expression).some((target) => target.id === unit.id));
    this.callerCache.set(unit.id, found);
    return found;
  }

  /** Every call and `new` of the analysed code under the name it is written with (`f()`, `x.f()`, `new F()`), indexed once. */
  private callsByName(): Map<string, CallSite[]> {
    if (this.callNameIndex) return this.callNameIndex;
    const index = new Map<string, CallSite[]>();
    const add = (name: string, call: CallSite): void => {
      const list = index.get(name);
      if (list) list.push(call);
      else index.set(name, [call]);
    };
    for (const scan of this.index.files) {
      const renamed = renamedImports(scan.sourceFile);
      for (const { node } of scan.calls) {
        if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) continue;
        const callee = skipOuterExpressions(node.expression);
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.kind === ts.SyntaxKind.SuperKeyword ? "super" : undefined;
        if (name === undefined) continue;
        add(name, node);
        if (ts.isIdentifier(callee) && renamed.has(name)) add(RENAMED, node);
      }
    }
    this.callNameIndex = index;
    return index;
  }

  /** A parameter of a callback passed to a library call derives from that call's receiver (`db.transaction(async (tx) => …)`). */
  private callbackParameterOrigins(parameter: ts.ParameterDeclaration): Origin[] {
    const fn = parameter.parent;
    if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return [];
    let holder: ts.Node = fn.parent;
    while (ts.isPropertyAssignment(holder) || ts.isObjectLiteralExpression(holder) || ts.isArrayLiteralExpression(holder)) holder = holder.parent;
    if (!ts.isCallExpression(holder) && !ts.isNewExpression(holder)) return [];
    const callee = holder.expression;
    const declared = this.declaredCallbackParameter(holder, fn, fn.parameters.indexOf(parameter));
    if (declared.length > 0) return declared;
    const base = ts.isPropertyAccessExpression(callee) ? this.origins(callee.expression) : this.origins(callee);
    return base.map((o) => ({ ...o, form: "derived" }));
  }

  /** `withTransaction(async (client) => …)` where `withTransaction(work: (client: PoolClient) => …)`: the project function says what `client` is. */
  private declaredCallbackParameter(call: ts.CallExpression | ts.NewExpression, callback: ts.Expression, index: number): Origin[] {
    const args: readonly ts.Expression[] = call.arguments ?? [];
    const position = args.indexOf(callback);
    if (position < 0 || index < 0) return [];
    const origins: Origin[] = [];
    for (const unit of this.functionTargets(call.expression)) {
      const type = unit.node.parameters[position]?.type;
      const parameterType = type && ts.isFunctionTypeNode(type) ? type.parameters[index]?.type : undefined;
      if (parameterType) origins.push(...this.typeOrigins(parameterType));
    }
    return origins;
  }

  private typeOrigins(type: ts.TypeNode): Origin[] {
    if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) return type.types.flatMap((t) => this.typeOrigins(t));
    if (ts.isParenthesizedTypeNode(type)) return this.typeOrigins(type.type);
    if (!ts.isTypeReferenceNode(type)) return [];
    const names: string[] = [];
    let left: ts.EntityName = type.typeName;
    while (ts.isQualifiedName(left)) {
      names.unshift(left.right.text);
      left = left.left;
    }
    const symbol = this.symbolAt(left);
    const origins: Origin[] = [];
    for (const declaration of symbol?.declarations ?? []) {
      const binding = this.bindingOf(declaration);
      if (binding && !binding.module.startsWith(".") && !this.importsProject(declaration, symbol!)) {
        origins.push({ module: binding.module, path: [binding.path, ...names].filter(Boolean).join("."), form: "instance", typed: false });
      } else if (names.length === 0) {
        const target = binding ? safeAliased(this.checkerFor(declaration)!, symbol!) : symbol;
        for (const d of target?.declarations ?? []) {
          if (ts.isClassLike(d) || ts.isInterfaceDeclaration(d)) origins.push(...this.heritageOrigins(d, "instance"));
          else if (ts.isTypeAliasDeclaration(d) && !this.aliasesInProgress.has(d)) {
            this.aliasesInProgress.add(d);
            origins.push(...this.typeOrigins(d.type));
            this.aliasesInProgress.delete(d);
          }
        }
      }
    }
    return origins;
  }

  /** A project class extending a library class (`class PrismaService extends PrismaClient`) carries the base's origin. */
  private heritageOrigins(cls: ts.ClassLikeDeclaration | ts.InterfaceDeclaration, form: Origin["form"]): Origin[] {
    const origins: Origin[] = [];
    for (const clause of cls.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      for (const type of clause.types) {
        origins.push(...this.origins(type.expression).map((o) => ({ ...o, form: o.form === "value" ? form : o.form })));
      }
    }
    return origins;
  }

  /** What a project function called here returns (one level of `return new Redis()`-style factories). */
  private returnedOrigins(call: ts.CallExpression): Origin[] {
    return this.functionTargets(call.expression).flatMap((unit) => {
      const made = this.madeByCallback(unit.node, call);
      return made.length > 0 ? made : this.returnedBy(unit.node);
    });
  }

  /**
   * A generic helper that returns what a callback it is given makes (`remember<T>(name, getValue: () => T): T`, a memo or
   * a lazy singleton): the callback's returned value at this call.
   */
  private madeByCallback(node: ts.FunctionLikeDeclaration, call: ts.CallExpression): Origin[] {
    const returned = node.type && ts.isTypeReferenceNode(node.type) && ts.isIdentifier(node.type.typeName) ? node.type.typeName.text : undefined;
    if (!returned || !(node.typeParameters ?? []).some((p) => p.name.text === returned)) return [];
    const index = node.parameters.findIndex(
      (p) => p.type !== undefined && ts.isFunctionTypeNode(p.type) && ts.isTypeReferenceNode(p.type.type) && ts.isIdentifier(p.type.type.typeName) && p.type.type.typeName.text === returned,
    );
    const argument = index >= 0 ? call.arguments[index] : undefined;
    const callback = argument && skipOuterExpressions(argument);
    return callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) ? this.returnedBy(callback) : [];
  }

  /** What a function or getter gives its callers: its declared return type, else what it returns. */
  private returnedBy(node: ts.FunctionLikeDeclaration): Origin[] {
    const declared = node.type && this.typeOrigins(unwrapPromise(node.type));
    if (declared && declared.length > 0) return declared;
    const body = node.body;
    if (!body) return [];
    if (!ts.isBlock(body)) return this.origins(body);
    const origins: Origin[] = [];
    const visit = (child: ts.Node): void => {
      if (isFunctionNode(child)) return;
      if (ts.isReturnStatement(child) && child.expression) origins.push(...this.origins(child.expression));
      ts.forEachChild(child, visit);
    };
    ts.forEachChild(body, visit);
    return origins;
  }

  /** The checker's type of a node, or undefined when it has none worth reading (`any`, `unknown`, or the checker failed). */
  typeAt(node: ts.Node): ts.Type | undefined {
    const checker = this.checkerFor(node);
    if (!checker) return undefined;
    try {
      const type = checker.getTypeAtLocation(node);
      return type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) ? undefined : type;
    } catch {
      return undefined;
    }
  }

  private typedOrigins(expr: ts.Expression): Origin[] {
    const type = this.typeAt(expr);
    if (!type) return [];
    const origins: Origin[] = [];
    for (const t of type.isUnion() ? type.types : [type]) {
      const symbol = t.aliasSymbol ?? t.getSymbol();
      const declaration = symbol?.declarations?.[0];
      if (!symbol || !declaration) continue;
      const pkg = packageOf(declaration.getSourceFile().fileName);
      // `export default class Redlock` has the symbol name `default`: the declaration's own name is the type's.
      const named = (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) && declaration.name ? declaration.name.text : symbol.getName();
      if (pkg) origins.push({ module: pkg, path: named, form: "instance", typed: true });
    }
    return origins;
  }
}

const RUNTIME_GLOBALS = new Set([
  "Buffer", "process", "console", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate",
  "queueMicrotask", "structuredClone", "fetch", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "crypto", "require",
  "global", "globalThis", "Response", "Request", "Headers", "AbortController", "AbortSignal", "performance", "Blob", "FormData",
]);

/** `Buffer` in `Buffer.from(…)`, `process` in `process.env.X.split(…)`. */
function rootIdentifier(expression: ts.Expression): ts.Identifier | undefined {
  let expr = skipOuterExpressions(expression);
  while (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) || ts.isCallExpression(expr)) expr = skipOuterExpressions(expr.expression);
  return ts.isIdentifier(expr) ? expr : undefined;
}

/** `Promise<T>` → `T`, for what an async function gives its callers. */
function unwrapPromise(type: ts.TypeNode): ts.TypeNode {
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === "Promise" && type.typeArguments?.length === 1) return type.typeArguments[0]!;
  return type;
}

/** What a rule or finder expects a value to be: made from these exports (untyped) or of these declared types (typed). */
export interface OriginSpec {
  exports?: string[];
  types?: string[];
  forms?: Origin["form"][];
}

export function originMatches(origins: Origin[], modules: string[], spec: OriginSpec): boolean {
  const forms = spec.forms ?? ["instance", "derived"];
  return origins.some((o) => {
    if (!modules.includes(o.module)) return false;
    if (o.typed) return spec.types !== undefined && (spec.types.includes("*") || spec.types.includes(o.path));
    return forms.includes(o.form) && spec.exports !== undefined && (spec.exports.includes("*") || spec.exports.includes(o.path));
  });
}

/** The module and export path an import-like declaration binds, or undefined. */
export function importBinding(declaration: ts.Node): { module: string; path: string } | undefined {
  if (ts.isImportSpecifier(declaration)) {
    const module = moduleOf(declaration.parent.parent.parent);
    const imported = declaration.propertyName ?? declaration.name;
    return module === undefined ? undefined : { module, path: textOf(imported) };
  }
  if (ts.isImportClause(declaration)) {
    const module = moduleOf(declaration.parent);
    return module === undefined ? undefined : { module, path: "default" };
  }
  if (ts.isNamespaceImport(declaration)) {
    const module = moduleOf(declaration.parent.parent);
    return module === undefined ? undefined : { module, path: "" };
  }
  if (ts.isImportEqualsDeclaration(declaration) && ts.isExternalModuleReference(declaration.moduleReference)) {
    const expr = declaration.moduleReference.expression;
    return ts.isStringLiteral(expr) ? { module: expr.text, path: "default" } : undefined;
  }
  if (ts.isVariableDeclaration(declaration) && declaration.initializer && ts.isIdentifier(declaration.name)) {
    const init = skipOuterExpressions(declaration.initializer);
    if (ts.isCallExpression(init) && isRequireCall(init)) return { module: (init.arguments[0] as ts.StringLiteral).text, path: "default" };
  }
  return undefined;
}

function moduleOf(importDeclaration: ts.ImportDeclaration | ts.JSDocImportTag): string | undefined {
  return ts.isStringLiteral(importDeclaration.moduleSpecifier) ? importDeclaration.moduleSpecifier.text : undefined;
}

function isRequireCall(call: ts.CallExpression): boolean {
  return ts.isIdentifier(call.expression) && call.expression.text === "require" && call.arguments.length === 1 && ts.isStringLiteral(call.arguments[0]!);
}

function textOf(name: ts.ModuleExportName | ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name) ? name.text : "";
}

function joinPath(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}

function memberNameOf(node: ts.Node): string | undefined {
  if ((ts.isMethodDeclaration(node) || ts.isMethodSignature(node) || ts.isPropertyDeclaration(node) || ts.isPropertySignature(node)) && node.name) {
    return textOf(node.name);
  }
  return undefined;
}

function isFunctionTyped(declaration: ts.Node): boolean {
  return (ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration)) && declaration.type !== undefined && ts.isFunctionTypeNode(declaration.type);
}

/** The npm package a file under node_modules belongs to (`@aws-sdk/client-dynamodb`), or undefined for project and lib files. */
export function packageOf(fileName: string): string | undefined {
  const marker = "/node_modules/";
  const at = fileName.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = fileName.slice(at + marker.length).split("/");
  if (rest[0] === "@types" && rest[1]) return rest[1].includes("__") ? `@${rest[1].replace("__", "/")}` : rest[1];
  return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
}

function dedupe(origins: Origin[]): Origin[] {
  const seen = new Set<string>();
  return origins.filter((o) => {
    const key = `${o.module}|${o.path}|${o.form}|${o.typed}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The names a function is called by: its declared name, the variable or property it is assigned to, its class for a constructor (and `super`). */
function callableNames(node: ts.Node): string[] {
  if (ts.isConstructorDeclaration(node)) return ts.isClassLike(node.parent) && node.parent.name ? [node.parent.name.text, "super"] : ["super"];
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node)) && node.name && !ts.isComputedPropertyName(node.name)) {
    const own = textOf(node.name);
    return ts.isFunctionExpression(node) ? [own, ...callableNames(node.parent)] : [own];
  }
  const holder = skipOuterParents(node);
  if ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) && !ts.isComputedPropertyName(holder.name) && !ts.isObjectBindingPattern(holder.name) && !ts.isArrayBindingPattern(holder.name)) {
    return [textOf(holder.name)];
  }
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = skipOuterExpressions(holder.left);
    if (ts.isIdentifier(left)) return [left.text];
    if (ts.isPropertyAccessExpression(left)) return [left.name.text];
  }
  return [];
}

/** The node a function expression is assigned through, past parentheses and type assertions. */
function skipOuterParents(node: ts.Node): ts.Node {
  let holder = node.parent;
  while (holder && (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder) || ts.isTypeAssertionExpression(holder))) holder = holder.parent;
  return holder;
}

/** Local names a file binds to imports under another name: default imports and `{ a as b }`. */
function renamedImports(sourceFile: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.importClause) continue;
    const clause = statement.importClause;
    if (clause.name) names.add(clause.name.text);
    if (clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
      for (const element of clause.namedBindings.elements) if (element.propertyName) names.add(element.name.text);
    }
  }
  return names;
}
