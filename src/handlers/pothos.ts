// Pothos (code-first GraphQL): every field with a `resolve` added to a type through a `new SchemaBuilder()`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";
import { type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder, literalText, returnedExpressions, wrappedEntries } from "./finder.js";

const MODULES = ["@pothos/core"];
const ROOTS: Record<string, string> = { query: "Query", mutation: "Mutation", subscription: "Subscription" };
/** Builder methods declaring a named type with `{ fields }` options: the type name is their first argument. */
const TYPE_METHODS = new Set(["objectType", "interfaceType"]);
/** Field options the executor calls per request. */
const RESOLVING = ["subscribe", "resolve"];

export const pothos: HandlerFinder = {
  framework: "pothos",
  title: "Pothos",
  modules: MODULES,
  describe:
    "Calls on a `new SchemaBuilder()` of @pothos/core: `queryType`/`mutationType`/`subscriptionType({ fields: (t) => ({…}) })`, `queryFields`/`mutationFields`/`subscriptionFields((t) => ({…}))`, `queryField`/`mutationField`/`subscriptionField(name, (t) => t.field({…}))`, and object types (`objectType(name or ref, { fields })`, `objectRef(name).implement({ fields })`, `objectFields(ref, …)`, `objectField(ref, name, …)`). Every field built with a `t.…({ resolve })` call of the fields callback's `t` (`t.field`, `t.string`, `t.prismaField`, …) is a handler named `Type.field` (`Query.books`, `Mutation.borrowBook`, `Book.author`), as resolver maps are, located at the field's key (or at the `queryField(…)` call); its entries are `subscribe` then `resolve`. Fields without a resolver (`t.exposeString`) are not handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const model = new PothosModel(resolver);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call)) continue;
        const callee = skipOuterExpressions(call.expression);
        if (!ts.isPropertyAccessExpression(callee)) continue;
        const method = callee.name.text;
        const args = call.arguments;
        if (method === "implement") {
          const type = model.refName(callee.expression);
          if (type !== undefined && args[0]) model.addFields(type, optionFields(args[0]), out);
          continue;
        }
        if (!model.isBuilder(callee.expression)) continue;
        const root = /^(query|mutation|subscription)(Type|Fields|Field)$/.exec(method);
        if (root) {
          const type = ROOTS[root[1]!]!;
          if (root[2] === "Type" && args[0]) model.addFields(type, optionFields(args[0]), out);
          else if (root[2] === "Fields" && args[0]) model.addFields(type, skipOuterExpressions(args[0]), out);
          else if (root[2] === "Field" && args[0] && args[1]) model.addField(type, call, args[0], args[1], out);
        } else if (TYPE_METHODS.has(method) && args[0] && args[1]) {
          model.addFields(model.typeName(args[0], args[1]), optionFields(args[1]), out);
        } else if (method === "objectFields" && args[0] && args[1]) {
          model.addFields(model.typeName(args[0]), skipOuterExpressions(args[1]), out);
        } else if (method === "objectField" && args[0] && args[1] && args[2]) {
          model.addField(model.typeName(args[0]), call, args[1], args[2], out);
        }
      }
    }
    return out;
  },
};

/** The `fields` option of `{ fields: (t) => ({…}) }` or `{ fields(t) { … } }`. */
function optionFields(options: ts.Expression): ts.Node | undefined {
  const expr = skipOuterExpressions(options);
  if (!ts.isObjectLiteralExpression(expr)) return undefined;
  for (const property of expr.properties) {
    if (!property.name || propertyNameText(property.name) !== "fields") continue;
    if (ts.isPropertyAssignment(property)) return skipOuterExpressions(property.initializer);
    if (ts.isMethodDeclaration(property)) return property;
  }
  return undefined;
}

class PothosModel {
  constructor(private readonly resolver: Resolver) {}

  isBuilder(expression: ts.Expression): boolean {
    return originMatches(this.resolver.origins(expression), MODULES, { exports: ["default", "SchemaBuilder"], types: ["SchemaBuilder", "default"] });
  }

  /** The GraphQL name of a type argument: a string, a `builder.objectRef('Name')` (through variables), or a class (its `name` option or class name). */
  typeName(reference: ts.Expression, options?: ts.Expression): string {
    const literal = literalText(reference);
    if (literal !== undefined) return literal;
    const optionName = options && ts.isObjectLiteralExpression(skipOuterExpressions(options)) ? memberLiteral(skipOuterExpressions(options) as ts.ObjectLiteralExpression, "name") : undefined;
    if (optionName !== undefined) return optionName;
    const ref = this.refName(reference);
    if (ref !== undefined) return ref;
    const cls = this.resolver.declarationsOf(skipOuterExpressions(reference)).find(ts.isClassLike);
    return cls?.name?.text ?? "*";
  }

  /** `builder.objectRef<T>('Name')` (or a variable holding one): `Name`. */
  refName(expression: ts.Expression): string | undefined {
    let expr = skipOuterExpressions(expression);
    for (let depth = 0; ts.isIdentifier(expr) && depth < 5; depth++) {
      const declaration = this.resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
      if (!declaration || !this.resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return undefined;
      expr = skipOuterExpressions(declaration.initializer!);
    }
    if (!ts.isCallExpression(expr)) return undefined;
    const callee = skipOuterExpressions(expr.expression);
    if (!ts.isPropertyAccessExpression(callee) || !/^(object|interface)Ref$/.test(callee.name.text) || !this.isBuilder(callee.expression)) return undefined;
    return literalText(expr.arguments[0]);
  }

  /** Each field of a fields callback `(t) => ({ name: t.field({ resolve }) })`. */
  addFields(type: string, fn: ts.Node | undefined, out: HandlerCandidate[]): void {
    if (!fn || !isFunctionNode(fn)) return;
    const builder = fn.parameters[0]?.name;
    if (!builder || !ts.isIdentifier(builder)) return;
    for (const record of returnedExpressions(fn).map((e) => skipOuterExpressions(e))) {
      if (!ts.isObjectLiteralExpression(record)) continue;
      for (const property of record.properties) {
        if (!ts.isPropertyAssignment(property)) continue;
        const entries = this.fieldEntries(builder, property.initializer);
        if (entries.length > 0) out.push({ name: `${type}.${propertyNameText(property.name)}`, framework: "pothos", node: property, entries });
      }
    }
  }

  /** `queryField("name", (t) => t.field({ resolve }))`: one field, located at the registration call. */
  addField(type: string, call: ts.CallExpression, name: ts.Expression, field: ts.Expression, out: HandlerCandidate[]): void {
    const fn = skipOuterExpressions(field);
    const fieldName = literalText(name);
    if (!isFunctionNode(fn) || fieldName === undefined) return;
    const builder = fn.parameters[0]?.name;
    if (!builder || !ts.isIdentifier(builder)) return;
    for (const value of returnedExpressions(fn).map((e) => skipOuterExpressions(e))) {
      const entries = this.fieldEntries(builder, value);
      if (entries.length > 0) out.push({ name: `${type}.${fieldName}`, framework: "pothos", node: call, entries });
    }
  }

  /** `t.field({ subscribe, resolve })` on the callback's own `t`: what runs for the field, in the order written. */
  private fieldEntries(builder: ts.Identifier, value: ts.Expression): HandlerEntry[] {
    const call = skipOuterExpressions(value);
    if (!ts.isCallExpression(call)) return [];
    const callee = skipOuterExpressions(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression) || callee.expression.text !== builder.text) return [];
    // The field options are the last argument (`t.field({…})`, `t.expose('x', {…})`, `t.relation('x', {…})`).
    const options = call.arguments.length > 0 ? skipOuterExpressions(call.arguments[call.arguments.length - 1]!) : undefined;
    if (!options || !ts.isObjectLiteralExpression(options)) return [];
    return options.properties.flatMap((property): HandlerEntry[] => {
      if (!property.name || !RESOLVING.includes(propertyNameText(property.name))) return [];
      if (ts.isMethodDeclaration(property)) {
        const unit = this.resolver.index.unitOf(property);
        return unit ? [{ units: [unit] }] : [];
      }
      const expression = ts.isPropertyAssignment(property) ? property.initializer : ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
      return expression ? wrappedEntries(this.resolver, expression).filter((e) => e.units.length > 0) : [];
    });
  }
}

function memberLiteral(literal: ts.ObjectLiteralExpression, key: string): string | undefined {
  const property = literal.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyNameText(p.name) === key);
  return property ? literalText(property.initializer) : undefined;
}
