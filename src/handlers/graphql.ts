// GraphQL resolver maps (Apollo, Yoga, graphql-tools, Mercurius): every field resolver of a map given as `resolvers` or typed as one.
import { ts } from "ts-morph";
import { nodeKey, skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { isFunctionNode, propertyNameText } from "../scan/units.js";
import { wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";

const MODULES = [
  "graphql",
  "@apollo/server",
  "@apollo/subgraph",
  "apollo-server",
  "apollo-server-express",
  "graphql-yoga",
  "@graphql-tools/schema",
  "@graphql-tools/utils",
  "@graphql-tools/merge",
  "mercurius",
];
const ROOT_TYPES = new Set(["Query", "Mutation", "Subscription"]);
/** Type names of whole resolver maps (graphql-tools, GraphQL Code Generator). */
const MAP_TYPES = new Set(["IResolvers", "Resolvers"]);
/** Fields the executor calls for type resolution, not per requested field. */
const META_FIELDS = new Set(["__resolveType", "__isTypeOf"]);

export const graphql: HandlerFinder = {
  framework: "graphql",
  title: "GraphQL resolver maps",
  modules: MODULES,
  describe:
    "Resolver maps: object literals with a `Query`, `Mutation` or `Subscription` key, found where they are given as the `resolvers` option of any call or constructor (`new ApolloServer({ typeDefs, resolvers })`, `makeExecutableSchema`, `createSchema`, `buildSubgraphSchema([…])`, through variables, arrays, spreads and merge calls) or declared with a map type (`: Resolvers`, `: IResolvers`, `satisfies Resolvers`). Every function field of every type in the map is a handler named `Type.field` (`Query.orders`, `Mutation.placeOrder`, `Order.items`: the executor calls type field resolvers per request too), located at the field's key; `{ subscribe, resolve }` objects run both. An object with a `Query` key whose fields are not functions is not a map.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const maps = new Map<string, ts.ObjectLiteralExpression>();
    const addMap = (literal: ts.ObjectLiteralExpression): void => {
      if (isResolverMap(resolver, literal)) maps.set(nodeKey(literal), literal);
    };
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (ts.isTaggedTemplateExpression(call)) continue;
        for (const argument of call.arguments ?? []) {
          for (const options of optionObjects(resolver, argument)) {
            for (const property of options.properties) {
              if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
              if (propertyNameText(property.name) !== "resolvers") continue;
              const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
              for (const literal of objectLiterals(resolver, value, new Set())) addMap(literal);
            }
          }
        }
      }
      for (const literal of typedMaps(scan.sourceFile)) addMap(literal);
    }
    const out: HandlerCandidate[] = [];
    // A map spread into another (`{ ...userResolvers, Query: { ...userResolvers.Query } }`) reaches the same field twice.
    const seen = new Set<string>();
    for (const map of maps.values()) {
      for (const typeProperty of map.properties) {
        const fields = typeFields(resolver, typeProperty);
        if (!fields) continue;
        for (const field of fields.fields) {
          const name = field.name && propertyNameText(field.name);
          if (!name || META_FIELDS.has(name)) continue;
          const key = `${nodeKey(field)}#${fields.type}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const entries = fieldEntries(resolver, field);
          if (entries.length > 0) out.push({ name: `${fields.type}.${name}`, framework: "graphql", node: field.name!, entries });
        }
      }
    }
    return out;
  },
};

/** The options objects a call argument holds: `{ typeDefs, resolvers }`, an array of them, or a variable bound to either. */
function optionObjects(resolver: Resolver, argument: ts.Expression): ts.ObjectLiteralExpression[] {
  let expr = skipOuterExpressions(argument);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find(ts.isVariableDeclaration);
    if (!declaration?.initializer || !resolver.index.isAnalysed(declaration.getSourceFile().fileName)) return [];
    expr = skipOuterExpressions(declaration.initializer);
  }
  if (ts.isObjectLiteralExpression(expr)) return [expr];
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.map(skipOuterExpressions).filter(ts.isObjectLiteralExpression);
  return [];
}

/**
 * Object literals an expression stands for: itself and its spreads, a variable's initializer, each array element,
 * and (for whole maps, `mergeResolvers([a, b])`) each argument of a call.
 */
function objectLiterals(resolver: Resolver, expression: ts.Expression, seen: Set<ts.Node>, throughCalls = true): ts.ObjectLiteralExpression[] {
  const expr = skipOuterExpressions(expression);
  if (seen.has(expr)) return [];
  seen.add(expr);
  if (ts.isObjectLiteralExpression(expr)) {
    const spreads = expr.properties.filter(ts.isSpreadAssignment).flatMap((s) => objectLiterals(resolver, s.expression, seen, throughCalls));
    return [expr, ...spreads];
  }
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.flatMap((e) => objectLiterals(resolver, ts.isSpreadElement(e) ? e.expression : e, seen, throughCalls));
  if (ts.isCallExpression(expr)) return throughCalls ? expr.arguments.flatMap((a) => objectLiterals(resolver, a, seen, throughCalls)) : [];
  if (ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr)) {
    return resolver.declarationsOf(expr).flatMap((d) => {
      if (!resolver.index.isAnalysed(d.getSourceFile().fileName)) return [];
      if ((ts.isVariableDeclaration(d) || ts.isPropertyAssignment(d) || ts.isPropertyDeclaration(d)) && d.initializer) return objectLiterals(resolver, d.initializer, seen, throughCalls);
      if (ts.isExportAssignment(d)) return objectLiterals(resolver, d.expression, seen, throughCalls);
      return [];
    });
  }
  return [];
}

/** Top-level object literals declared with a resolver-map type: `const resolvers: Resolvers = {…}`, `{…} satisfies IResolvers`. */
function typedMaps(sourceFile: ts.SourceFile): ts.ObjectLiteralExpression[] {
  const found: ts.ObjectLiteralExpression[] = [];
  const consider = (types: (ts.TypeNode | undefined)[], value: ts.Expression | undefined): void => {
    let expr = value;
    const all = [...types];
    while (expr && (ts.isSatisfiesExpression(expr) || ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr))) {
      if (!ts.isParenthesizedExpression(expr)) all.push(expr.type);
      expr = expr.expression;
    }
    if (expr && ts.isObjectLiteralExpression(expr) && all.some(isMapType)) found.push(expr);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) consider([d.type], d.initializer);
    else if (ts.isExportAssignment(statement)) consider([], statement.expression);
  }
  return found;
}

function isMapType(type: ts.TypeNode | undefined): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = ts.isQualifiedName(type.typeName) ? type.typeName.right.text : type.typeName.text;
  return MAP_TYPES.has(name);
}

/** A resolver map has a root type whose fields include a function: a `{ Query: { … } }` of strings is a constants table. */
function isResolverMap(resolver: Resolver, literal: ts.ObjectLiteralExpression): boolean {
  return literal.properties.some((p) => {
    const fields = typeFields(resolver, p);
    return fields !== undefined && ROOT_TYPES.has(fields.type) && fields.fields.some((f) => fieldEntries(resolver, f).length > 0);
  });
}

/** A map property naming a type and its field resolvers (`Query: { … }`, `Query` bound to one, spreads included). */
function typeFields(resolver: Resolver, property: ts.ObjectLiteralElementLike): { type: string; fields: ts.ObjectLiteralElementLike[] } | undefined {
  if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) return undefined;
  const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
  // Not through calls: `DateTime: scalar({ serialize })` configures a scalar, it declares no fields.
  const literals = objectLiterals(resolver, value, new Set(), false);
  const fields = literals.flatMap((l) => l.properties.filter((p) => !ts.isSpreadAssignment(p)));
  return literals.length > 0 ? { type: propertyNameText(property.name), fields } : undefined;
}

/** What runs for one field: its function, a reference or wrapper call, or the `subscribe`/`resolve` of a field config. */
function fieldEntries(resolver: Resolver, field: ts.ObjectLiteralElementLike): HandlerEntry[] {
  if (isFunctionNode(field)) {
    const unit = resolver.index.unitOf(field);
    return unit ? [{ units: [unit] }] : [];
  }
  let value: ts.Expression;
  if (ts.isPropertyAssignment(field)) value = field.initializer;
  else if (ts.isShorthandPropertyAssignment(field)) value = field.name;
  else return [];
  const expr = skipOuterExpressions(value);
  if (ts.isObjectLiteralExpression(expr)) {
    return expr.properties
      .filter((p) => p.name !== undefined && ["subscribe", "resolve"].includes(propertyNameText(p.name)))
      .flatMap((p) => fieldEntries(resolver, p));
  }
  return wrappedEntries(resolver, value).filter((e) => e.units.length > 0);
}
