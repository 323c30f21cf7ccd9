// gRPC (@grpc/grpc-js): one handler per method of an implementation given to `server.addService(service, implementation)`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { propertyNameText } from "../scan/units.js";
import { entryOf, methodCalls, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";

const MODULES = ["@grpc/grpc-js"];

export const grpc: HandlerFinder = {
  framework: "grpc",
  title: "gRPC (@grpc/grpc-js)",
  modules: MODULES,
  describe:
    "`server.addService(service, implementation)` on a `new Server()` of @grpc/grpc-js: one handler per method of the implementation (an object literal, a name bound to one, or an instance of a project class), named `grpc <Service>.<method>` where `<Service>` is the name before `.service` in a loaded definition (`proto.orders.OrderService.service`) or the generated definition's name (`OrderServiceService` → `OrderService`), and located at the method's name in the implementation.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["addService"]))) {
      const [service, implementation] = call.arguments;
      if (!service || !implementation) continue;
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["Server", "default.Server"], types: ["Server"] })) continue;
      const serviceName = serviceNameOf(service);
      for (const method of implementationMethods(resolver, implementation)) {
        if (method.entry.units.length === 0) continue;
        out.push({ name: `grpc ${serviceName}.${method.name}`, framework: "grpc", node: method.nameNode, entries: [method.entry] });
      }
    }
    return out;
  },
};

/** `proto.orders.OrderService.service` → `OrderService`; a generated `OrderServiceService` → `OrderService`; anything else `*`. */
function serviceNameOf(expression: ts.Expression): string {
  const expr = skipOuterExpressions(expression);
  if (ts.isPropertyAccessExpression(expr)) {
    if (expr.name.text === "service" && ts.isPropertyAccessExpression(expr.expression)) return expr.expression.name.text;
    if (expr.name.text === "service" && ts.isIdentifier(expr.expression)) return expr.expression.text;
    return expr.name.text;
  }
  // grpc-tools names the definition of `service OrderService` `OrderServiceService`.
  return ts.isIdentifier(expr) ? expr.text.replace(/(Service)Service$/, "$1") : "*";
}

interface ImplementationMethod {
  name: string;
  nameNode: ts.Node;
  /** What runs: the property's function, or the class method. */
  entry: HandlerEntry;
}

function methodEntry(resolver: Resolver, method: ts.MethodDeclaration): HandlerEntry {
  const unit = resolver.index.unitOf(method);
  return { units: unit ? [unit] : [] };
}

/** Methods of an implementation: an object literal (directly or through a name) or `new Impl()` of a project class. */
function implementationMethods(resolver: Resolver, expression: ts.Expression): ImplementationMethod[] {
  let expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) {
    const declaration = resolver.declarationsOf(expr)[0];
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) expr = skipOuterExpressions(declaration.initializer);
  }
  if (ts.isObjectLiteralExpression(expr)) {
    return expr.properties.flatMap((property): ImplementationMethod[] => {
      if (ts.isMethodDeclaration(property)) return [{ name: propertyNameText(property.name), nameNode: property.name, entry: methodEntry(resolver, property) }];
      if (ts.isPropertyAssignment(property)) return [{ name: propertyNameText(property.name), nameNode: property.name, entry: entryOf(resolver, property.initializer) }];
      if (ts.isShorthandPropertyAssignment(property)) return [{ name: property.name.text, nameNode: property.name, entry: entryOf(resolver, property.name) }];
      return [];
    });
  }
  if (ts.isNewExpression(expr)) {
    const cls = resolver.declarationsOf(expr.expression).find(ts.isClassLike);
    return (cls?.members ?? []).flatMap((member): ImplementationMethod[] =>
      ts.isMethodDeclaration(member) && member.body ? [{ name: propertyNameText(member.name), nameNode: member.name, entry: methodEntry(resolver, member) }] : [],
    );
  }
  return [];
}
