// TypeGraphQL: `@Query`, `@Mutation`, `@Subscription` and `@FieldResolver` methods of `@Resolver` classes, with their middlewares and auth checker.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";

const MODULES = ["type-graphql"];
const OPERATIONS = new Set(["Query", "Mutation", "Subscription", "FieldResolver"]);

/** What `buildSchema({ globalMiddlewares, authChecker })` puts before every resolver. */
interface SchemaConfig {
  globalMiddlewares: HandlerEntry[];
  authChecker: HandlerEntry[];
}

export const typeGraphql: HandlerFinder = {
  framework: "type-graphql",
  title: "TypeGraphQL",
  modules: MODULES,
  describe:
    "Methods of a class decorated with `@Resolver()` of type-graphql that carry `@Query`, `@Mutation`, `@Subscription` or `@FieldResolver`, named `Class.method` and located at that decorator's `@`. Entries in TypeGraphQL's order: the `authChecker` of `buildSchema` (function, or class with `check`) when the method or class has `@Authorized`, the schema's `globalMiddlewares`, then `@UseMiddleware` of the class and of the method (functions, or classes with `use`), then the method.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const schema = schemaConfig(context);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const cls of scan.classes) {
        const classDecorators = typeGraphqlDecorators(resolver, cls);
        if (!classDecorators.some((d) => d.name === "Resolver")) continue;
        for (const member of cls.members) {
          if (!ts.isMethodDeclaration(member)) continue;
          const unit = index.unitOf(member);
          if (!unit) continue;
          const methodDecorators = typeGraphqlDecorators(resolver, member);
          const authorized = [...classDecorators, ...methodDecorators].some((d) => d.name === "Authorized");
          for (const operation of methodDecorators.filter((d) => OPERATIONS.has(d.name))) {
            const entries: HandlerEntry[] = [
              ...(authorized ? schema.authChecker : []),
              ...schema.globalMiddlewares,
              ...middlewareEntries(resolver, classDecorators),
              ...middlewareEntries(resolver, methodDecorators),
              { units: [unit] },
            ];
            out.push({ name: unit.name, framework: "type-graphql", node: operation.decorator, entries });
          }
        }
      }
    }
    return out;
  },
};

interface Applied {
  name: string;
  args: readonly ts.Expression[];
  decorator: ts.Decorator;
}

/** type-graphql decorators on a class or method (`@Query(() => [Recipe])`, a renamed import, `tg.Query`). */
function typeGraphqlDecorators(resolver: Resolver, node: ts.HasDecorators): Applied[] {
  return (ts.getDecorators(node) ?? []).flatMap((decorator): Applied[] => {
    const expr = skipOuterExpressions(decorator.expression);
    const callee = ts.isCallExpression(expr) ? expr.expression : expr;
    const binding = ts.isIdentifier(callee) ? resolver.importOf(callee) : undefined;
    const origins = binding ? [binding] : resolver.origins(callee).filter((o) => o.form === "value");
    const origin = origins.find((o) => MODULES.includes(o.module));
    return origin ? [{ name: origin.path, args: ts.isCallExpression(expr) ? expr.arguments : [], decorator }] : [];
  });
}

/** `@UseMiddleware(LogAccess, rateLimit(10))`: each middleware, bound at the decorator. */
function middlewareEntries(resolver: Resolver, applied: Applied[]): HandlerEntry[] {
  return applied
    .filter((a) => a.name === "UseMiddleware")
    .flatMap((a) => a.args.map((arg) => ({ ...classOrFunction(resolver, arg, "use"), boundAt: a.decorator })))
    .filter((e) => e.units.length > 0);
}

/** A middleware or auth checker: a class (TypeGraphQL instantiates it and calls `method`) or a function. */
function classOrFunction(resolver: Resolver, expression: ts.Expression, method: string): HandlerEntry {
  const expr = skipOuterExpressions(expression);
  const classes = ts.isIdentifier(expr) || ts.isPropertyAccessExpression(expr) ? resolver.declarationsOf(expr).filter(ts.isClassLike) : [];
  if (classes.length === 0) return entryOf(resolver, expression);
  const units = classes.flatMap((cls) =>
    cls.members.filter((m) => ts.isMethodDeclaration(m) && propertyNameText(m.name) === method).flatMap((m) => resolver.index.unitOf(m) ?? []),
  );
  return { expression, units };
}

/** `buildSchema({ resolvers, globalMiddlewares: [...], authChecker })` of type-graphql, read wherever it is called. */
function schemaConfig(context: FinderContext): SchemaConfig {
  const { index, resolver } = context;
  const config: SchemaConfig = { globalMiddlewares: [], authChecker: [] };
  for (const scan of index.files) {
    for (const { node: call } of scan.calls) {
      if (!ts.isCallExpression(call) || !call.arguments[0]) continue;
      if (!originMatches(resolver.origins(call.expression), MODULES, { exports: ["buildSchema", "buildSchemaSync"], forms: ["value"] })) continue;
      const options = skipOuterExpressions(call.arguments[0]);
      if (!ts.isObjectLiteralExpression(options)) continue;
      for (const property of options.properties) {
        if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
        const key = propertyNameText(property.name);
        const value = skipOuterExpressions(ts.isPropertyAssignment(property) ? property.initializer : property.name);
        if (key === "globalMiddlewares" && ts.isArrayLiteralExpression(value)) {
          config.globalMiddlewares.push(...value.elements.map((e) => classOrFunction(resolver, e, "use")).filter((e) => e.units.length > 0));
        } else if (key === "authChecker") {
          const entry = classOrFunction(resolver, value, "check");
          if (entry.units.length > 0) config.authChecker.push(entry);
        }
      }
    }
  }
  return config;
}
