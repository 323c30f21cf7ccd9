// AWS Lambda: exported handler functions, recognised by an aws-lambda handler type or by the `handler` export of an entry file.
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { exportedBindings, wrappedEntries, type ExportedBinding, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";

const TYPES_MODULE = "aws-lambda";
const TEST_FILE = /(^|\/)(__tests__|__mocks__|tests?)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

export const lambda: HandlerFinder = {
  framework: "lambda",
  title: "AWS Lambda",
  // A Lambda entry often imports nothing Lambda-specific (`export const handler = async (event) => …`).
  modules: [],
  describe:
    "An export whose declared type is an aws-lambda handler type (`Handler`, `APIGatewayProxyHandler`, `SQSHandler`, any `…Handler` of `aws-lambda`: annotated, with `satisfies`, or returned by the project factory it calls, as in `export const main = handler(async (event) => …)`), and an export named `handler` holding a function (declaration, arrow, or wrapper call such as `middy(fn)`) in a file no other project file imports that export from (tests aside): a `handler` that other modules import is a library function, and a function merely named `handler` but not exported is not a Lambda. Named `lambda <export name>`.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const imported = valueImports(index, resolver);
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      if (TEST_FILE.test(index.code.relative(fileName))) continue;
      for (const binding of exportedBindings(scan.sourceFile)) {
        // A re-export (`export { handler } from "./charge"`) is the other module's Lambda, found there.
        if (binding.name === "default" || !binding.value || binding.from !== undefined) continue;
        const typed = hasLambdaType(resolver, binding);
        const entry = binding.name === "handler" && isFunctionValue(resolver, binding.value) && !imported.get(fileName)?.has(binding.name) && !imported.get(fileName)?.has("*");
        if (!typed && !entry) continue;
        const entries = ts.isFunctionDeclaration(binding.value)
          ? [{ units: [index.unitOf(binding.value)].filter((u) => u !== undefined) }]
          : wrappedEntries(resolver, binding.value).filter((e) => e.units.length > 0);
        out.push({ name: `lambda ${binding.name}`, framework: "lambda", node: binding.nameNode, entries });
      }
    }
    return out;
  },
};

/**
 * The export is declared as an aws-lambda handler: its annotation (`: SQSHandler`, `satisfies Handler`) or, for a
 * factory call (`export const main = handler(async (event) => …)`), the factory's declared return type.
 */
function hasLambdaType(resolver: Resolver, binding: ExportedBinding): boolean {
  const declaration = binding.nameNode.parent;
  const types: ts.TypeNode[] = [];
  if (ts.isVariableDeclaration(declaration) && declaration.type) types.push(declaration.type);
  let value = binding.value && !ts.isFunctionDeclaration(binding.value) ? binding.value : undefined;
  while (value && (ts.isSatisfiesExpression(value) || ts.isAsExpression(value) || ts.isParenthesizedExpression(value))) {
    if (!ts.isParenthesizedExpression(value)) types.push(value.type);
    value = value.expression;
  }
  if (value && ts.isCallExpression(value)) {
    for (const unit of resolver.functionTargets(value.expression)) if (unit.node.type) types.push(unit.node.type);
  }
  return types.some((type) => isHandlerType(resolver, type));
}

function isHandlerType(resolver: Resolver, type: ts.TypeNode): boolean {
  if (!ts.isTypeReferenceNode(type)) return false;
  const names: string[] = [];
  let left: ts.EntityName = type.typeName;
  while (ts.isQualifiedName(left)) {
    names.unshift(left.right.text);
    left = left.left;
  }
  const binding = resolver.importOf(left);
  const name = [binding?.path, ...names].filter(Boolean).pop();
  return binding?.module === TYPES_MODULE && name !== undefined && name.endsWith("Handler");
}

function isFunctionValue(resolver: Resolver, value: ts.FunctionDeclaration | ts.Expression): boolean {
  if (ts.isFunctionDeclaration(value)) return true;
  const expr = skipOuterExpressions(value);
  return ts.isArrowFunction(expr) || ts.isFunctionExpression(expr) || ts.isCallExpression(expr) || resolver.functionTargets(expr).length > 0;
}

/** For each project file, the exports other (non-test) project files import as values; `*` for a namespace import. */
function valueImports(index: CodeIndex, resolver: Resolver): Map<string, Set<string>> {
  const imported = new Map<string, Set<string>>();
  for (const scan of index.files) {
    if (TEST_FILE.test(index.code.relative(scan.sourceFile.fileName))) continue;
    for (const statement of scan.sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !statement.importClause || statement.importClause.isTypeOnly) continue;
      const target = resolver.symbolAt(statement.moduleSpecifier)?.declarations?.find(ts.isSourceFile);
      if (!target) continue;
      const names = imported.get(target.fileName) ?? new Set<string>();
      const clause = statement.importClause;
      if (clause.name) names.add("default");
      if (clause.namedBindings && ts.isNamespaceImport(clause.namedBindings)) names.add("*");
      if (clause.namedBindings && ts.isNamedImports(clause.namedBindings)) {
        for (const specifier of clause.namedBindings.elements) if (!specifier.isTypeOnly) names.add((specifier.propertyName ?? specifier.name).text);
      }
      imported.set(target.fileName, names);
    }
  }
  return imported;
}
