// Prisma: a client's middleware ($use) and query extensions ($extends({ query })), run by the model and raw calls made on that client.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../../scan/code-index.js";
import type { Resolver } from "../../scan/resolve.js";
import type { FunctionUnit } from "../../scan/units.js";
import {
  classOf,
  classOfType,
  enclosingClass,
  extendsClause,
  classChain,
  functionsOf,
  libraryBinding,
  memberFunctions,
  memberName,
  methodCalls,
  objectLiteralOf,
  propertyOf,
  returnedExpression,
  tracer,
  type OrmHooks,
} from "./orm.js";

/** Model operations of Prisma Client; a query extension for one of them runs for top-level calls of it only, not for nested writes. */
const MODEL_OPERATIONS: ReadonlySet<string> = new Set([
  "findUnique",
  "findUniqueOrThrow",
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "create",
  "createMany",
  "createManyAndReturn",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "upsert",
  "delete",
  "deleteMany",
  "aggregate",
  "groupBy",
  "count",
]);
const RAW_OPERATIONS: ReadonlySet<string> = new Set(["$queryRaw", "$queryRawUnsafe", "$executeRaw", "$executeRawUnsafe", "$runCommandRaw"]);

/**
 * A client: a `new PrismaClient()`, a project class extending PrismaClient (every instance shares what its
 * methods register with `this.$use`), or a `$extends(…)` call, which makes a new client over its receiver's.
 */
type Client = ts.Node;

export const prismaHooks: OrmHooks = {
  library: "prisma",
  // Generated clients are often imported from the project (`./generated/prisma`): the client is told by its class name.
  modules: [],
  describe:
    "Middleware registered with client.$use(fn) runs for every model and raw call on that client and on clients extended from it; query extensions ($extends({ query: { order: { create } } }), $allModels, $allOperations, raw operations) run for the matching top-level calls on the extended client (interactive-transaction clients included), not on the client it extends.",
  findTargets(index, resolver, add) {
    const isClientClassName = (expr: ts.Expression): boolean => libraryBinding(resolver, expr)?.path === "PrismaClient";
    const isClientClass = (cls: ts.ClassLikeDeclaration): boolean =>
      classChain(resolver, cls).some((c) => {
        const clause = extendsClause(c);
        return clause !== undefined && isClientClassName(clause.expression);
      });
    const clientClass = (cls: ts.ClassLikeDeclaration | undefined): Client | undefined => (cls && isClientClass(cls) ? cls : undefined);
    const bases = new Map<Client, Client | undefined>();

    const clientOf: (expression: ts.Expression) => Client | undefined = tracer<Client>(resolver, {
      expression(expr, trace) {
        if (expr.kind === ts.SyntaxKind.ThisKeyword) return clientClass(enclosingClass(expr));
        if (ts.isNewExpression(expr)) return clientClass(classOf(resolver, expr.expression)) ?? (isClientClassName(expr.expression) ? expr : undefined);
        if (!ts.isCallExpression(expr)) return undefined;
        const callee = skipOuterExpressions(expr.expression);
        if (ts.isPropertyAccessExpression(callee) && callee.name.text === "$extends") {
          if (!bases.has(expr)) bases.set(expr, trace(callee.expression));
          return expr;
        }
        // A factory of the project (`getExtendedClient()`): the client it returns.
        for (const unit of resolver.functionTargets(callee)) {
          const returned = returnedExpression(unit.node);
          const client = returned && trace(returned);
          if (client) return client;
        }
        return undefined;
      },
      type(type) {
        if (ts.isTypeQueryNode(type) && ts.isIdentifier(type.exprName)) return clientOf(type.exprName);
        // `ReturnType<typeof getExtendedClient>`, the documented way to name an extended client's type.
        const argument = ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === "ReturnType" ? type.typeArguments?.[0] : undefined;
        if (argument && ts.isTypeQueryNode(argument) && ts.isIdentifier(argument.exprName)) {
          for (const unit of resolver.functionTargets(argument.exprName)) {
            const returned = returnedExpression(unit.node);
            const client = returned && clientOf(returned);
            if (client) return client;
          }
        }
        return clientClass(classOfType(resolver, type));
      },
      parameter(parameter, trace) {
        // `client.$transaction(async (tx) => …)`: the transaction client runs the same middleware and extensions.
        const fn = parameter.parent;
        const call = fn.parent;
        if (!ts.isCallExpression(call) || !call.arguments.includes(fn as ts.Expression)) return undefined;
        const callee = skipOuterExpressions(call.expression);
        return ts.isPropertyAccessExpression(callee) && callee.name.text === "$transaction" ? trace(callee.expression) : undefined;
      },
      checked(type) {
        const cls = type.getSymbol()?.declarations?.find(ts.isClassDeclaration);
        return cls && index.isAnalysed(cls.getSourceFile().fileName) ? clientClass(cls) : undefined;
      },
    });

    const middleware = new Map<Client, FunctionUnit[]>();
    const queries = new Map<Client, ts.ObjectLiteralExpression>();
    const calls = [...methodCalls(index)];
    for (const { call, receiver, method, args } of calls) {
      if (method === "$use" && args[0]) {
        const client = clientOf(receiver);
        if (client) middleware.set(client, [...(middleware.get(client) ?? []), ...functionsOf(resolver, args[0])]);
      } else if (method === "$extends" && args[0]) {
        clientOf(call);
        const query = propertyOf(extensionObject(resolver, args[0]), "query");
        const object = query && ts.isPropertyAssignment(query) ? objectLiteralOf(resolver, query.initializer) : undefined;
        if (object) queries.set(call, object);
      }
    }
    if (middleware.size === 0 && queries.size === 0) return;

    for (const { call, receiver, method } of calls) {
      let client: Client | undefined;
      let model: string | undefined;
      if (MODEL_OPERATIONS.has(method) && ts.isPropertyAccessExpression(receiver) && !receiver.name.text.startsWith("$")) {
        client = clientOf(receiver.expression);
        model = receiver.name.text;
      } else if (RAW_OPERATIONS.has(method)) {
        client = clientOf(receiver);
      }
      const units: FunctionUnit[] = [];
      const seen = new Set<Client>();
      for (let current = client; current && !seen.has(current); current = bases.get(current)) {
        seen.add(current);
        units.push(...(middleware.get(current) ?? []));
        const query = queries.get(current);
        if (query) units.push(...queryComponents(resolver, query, model, method));
      }
      if (units.length > 0) add(call, units);
    }
  },
};

/** The extension object given to `$extends`: written there, a `const`, or wrapped in `Prisma.defineExtension(…)`. */
function extensionObject(resolver: Resolver, expression: ts.Expression): ts.ObjectLiteralExpression | undefined {
  let expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr).find((d): d is ts.VariableDeclaration => ts.isVariableDeclaration(d) && d.initializer !== undefined);
    if (declaration) expr = skipOuterExpressions(declaration.initializer!);
  }
  if (ts.isCallExpression(expr)) {
    const callee = skipOuterExpressions(expr.expression);
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
    return name === "defineExtension" ? objectLiteralOf(resolver, expr.arguments[0]) : undefined;
  }
  return objectLiteralOf(resolver, expr);
}

/** The functions of a `query` component that run for one call: the model's (or `$allModels`') operation and `$allOperations`, and the top-level ones. */
function queryComponents(resolver: Resolver, query: ts.ObjectLiteralExpression, model: string | undefined, operation: string): FunctionUnit[] {
  const units: FunctionUnit[] = [];
  const take = (object: ts.ObjectLiteralExpression | undefined, name: string): void => {
    const property = propertyOf(object, name);
    if (property) units.push(...memberFunctions(resolver, property));
  };
  if (model !== undefined) {
    for (const property of query.properties) {
      const name = memberName(property);
      if (!name || !ts.isPropertyAssignment(property) || (name !== "$allModels" && lowerFirst(name) !== lowerFirst(model))) continue;
      const object = objectLiteralOf(resolver, property.initializer);
      take(object, operation);
      take(object, "$allOperations");
    }
  } else {
    take(query, operation);
  }
  take(query, "$allOperations");
  return units;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
