// One pass per file over compiler nodes: function units (with qualified names), the calls inside each, and the file's calls and classes.
import { ts } from "ts-morph";

export type FunctionNode =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression;

export type CallNode = ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression;

export interface FunctionUnit {
  id: number;
  node: FunctionNode;
  sourceFile: ts.SourceFile;
  /** Qualified name: `Class.method`, `fn`, `object.property`; an inline callback takes its enclosing function's name. */
  name: string;
  parent: FunctionUnit | undefined;
  /** A function expression written inside another function (a callback): merged into its parent in evidence paths. */
  inline: boolean;
  /** Calls whose innermost enclosing function is this one, in source order. */
  calls: CallNode[];
  /** Function expressions nested directly in this one (callbacks it defines). */
  children: FunctionUnit[];
  /** Decorators on a method unit. */
  decorators: ts.Decorator[];
}

export interface FileScan {
  sourceFile: ts.SourceFile;
  units: FunctionUnit[];
  /** Every call in the file, in source order, with its innermost enclosing unit (undefined at top level). */
  calls: { node: CallNode; unit: FunctionUnit | undefined }[];
  /** Every string, template and tagged-template literal, with its enclosing unit (for SQL text). */
  classes: ts.ClassDeclaration[];
  /** Functions and classes a module exports, by export name (`default` included). */
  exports: Map<string, ts.Node>;
}

export const MODULE_FUNCTION = "<module>";

export function isFunctionNode(node: ts.Node): node is FunctionNode {
  switch (node.kind) {
    case ts.SyntaxKind.FunctionDeclaration:
    case ts.SyntaxKind.MethodDeclaration:
    case ts.SyntaxKind.Constructor:
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression:
      return (node as FunctionNode).body !== undefined;
    default:
      return false;
  }
}

export function scanFile(sourceFile: ts.SourceFile, nextId: () => number): FileScan {
  const scan: FileScan = { sourceFile, units: [], calls: [], classes: [], exports: new Map() };

  const visit = (node: ts.Node, unit: FunctionUnit | undefined): void => {
    let current = unit;
    if (isFunctionNode(node)) {
      current = makeUnit(node, unit, sourceFile, nextId());
      scan.units.push(current);
      unit?.children.push(current);
    } else if (ts.isClassDeclaration(node)) {
      scan.classes.push(node);
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isTaggedTemplateExpression(node)) {
      scan.calls.push({ node, unit: current });
      current?.calls.push(node);
    }
    ts.forEachChild(node, (child) => visit(child, current));
  };
  ts.forEachChild(sourceFile, (child) => visit(child, undefined));
  collectExports(sourceFile, scan.exports);
  return scan;
}

function makeUnit(node: FunctionNode, parent: FunctionUnit | undefined, sourceFile: ts.SourceFile, id: number): FunctionUnit {
  const inline = parent !== undefined && (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && !namedByDeclaration(node);
  return {
    id,
    node,
    sourceFile,
    name: inline ? parent.name : qualifiedName(node, parent),
    parent,
    inline,
    calls: [],
    children: [],
    decorators: ts.canHaveDecorators(node) ? [...(ts.getDecorators(node) ?? [])] : [],
  };
}

/** A function expression bound to a name of its own (`const f = () => …` inside a function) is a function, not a callback. */
function namedByDeclaration(node: ts.ArrowFunction | ts.FunctionExpression): boolean {
  const parent = node.parent;
  return ts.isVariableDeclaration(parent) && parent.initializer === node;
}

export function qualifiedName(node: FunctionNode, parent?: FunctionUnit): string {
  const own = ownName(node);
  if (ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    const container = node.parent;
    if (ts.isClassLike(container)) return `${className(container)}.${own}`;
    if (ts.isObjectLiteralExpression(container)) return `${objectPath(container)}.${own}`;
  }
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const holder = node.parent;
    if (ts.isPropertyAssignment(holder) && ts.isObjectLiteralExpression(holder.parent)) return `${objectPath(holder.parent)}.${propertyNameText(holder.name)}`;
    if (ts.isPropertyDeclaration(holder) && ts.isClassLike(holder.parent)) return `${className(holder.parent)}.${propertyNameText(holder.name)}`;
    if (ts.isExportAssignment(holder)) return "default";
  }
  if (parent && !own) return parent.name;
  return own || "<anonymous>";
}

function ownName(node: FunctionNode): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (node.name) return propertyNameText(node.name);
  const holder = node.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  if (ts.isPropertyAssignment(holder)) return propertyNameText(holder.name);
  if (ts.isExportAssignment(holder)) return "default";
  if (ts.isFunctionDeclaration(node) && hasDefaultModifier(node)) return "default";
  return wrappedBinding(node) ?? "";
}

/** `export const main = middy(async (event) => …).use(…)`: a function handed to a wrapper takes the variable's name. */
function wrappedBinding(node: FunctionNode): string | undefined {
  let current: ts.Node = node;
  while (ts.isCallExpression(current.parent) || ts.isPropertyAccessExpression(current.parent) || ts.isParenthesizedExpression(current.parent) || ts.isAsExpression(current.parent) || ts.isSatisfiesExpression(current.parent)) {
    current = current.parent;
  }
  const holder = current.parent;
  return current !== node && ts.isVariableDeclaration(holder) && holder.initializer === current && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
}

function hasDefaultModifier(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

export function className(node: ts.ClassLikeDeclaration): string {
  if (node.name) return node.name.text;
  const holder = node.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  return "default";
}

/** `resolvers.Query` for an object literal nested in `const resolvers = { Query: { … } }`. */
function objectPath(node: ts.ObjectLiteralExpression): string {
  const holder = node.parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  if (ts.isPropertyAssignment(holder) && ts.isObjectLiteralExpression(holder.parent)) return `${objectPath(holder.parent)}.${propertyNameText(holder.name)}`;
  if (ts.isExportAssignment(holder)) return "default";
  if (ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder) || ts.isParenthesizedExpression(holder)) {
    const outer = holder.parent;
    if (ts.isVariableDeclaration(outer) && ts.isIdentifier(outer.name)) return outer.name.text;
    if (ts.isExportAssignment(outer)) return "default";
  }
  return "<object>";
}

export function propertyNameText(name: ts.PropertyName | ts.BindingName): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) return name.expression.text;
  return "<computed>";
}

function collectExports(sourceFile: ts.SourceFile, exports: Map<string, ts.Node>): void {
  for (const statement of sourceFile.statements) {
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) ?? [] : [];
    const exported = modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const isDefault = modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      exports.set("default", statement.expression);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && exported) {
      if (isDefault) exports.set("default", statement);
      if (statement.name) exports.set(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) exports.set(declaration.name.text, declaration);
      }
    }
  }
}

/** 1-based line and column (UTF-16 code units) of a node's first token. */
export function positionOf(node: ts.Node, sourceFile: ts.SourceFile = node.getSourceFile()): { line: number; column: number } {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { line: line + 1, column: character + 1 };
}
