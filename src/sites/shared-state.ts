// In-memory shared state: module-level and singleton-held Maps, Sets, arrays, objects and counters that functions read and mutate, as operations for CALM (a hidden single-instance assumption).
import { ts } from "ts-morph";
import { MONOTONIC_EFFECTS, type Operation, type OperationEffect } from "../model/report.js";
import type { CodeIndex } from "../scan/code-index.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { className, isFunctionNode, positionOf, propertyNameText, type FunctionUnit } from "../scan/units.js";
import { EFFECT_REASONS } from "./effects.js";
import type { DetectedOperation } from "./operations.js";

type StateKind = "map" | "set" | "array" | "object" | "counter";

interface SharedState {
  kind: StateKind;
  /** What code names it by: a variable, or a property (`this.sessions`, `Class.cache`). */
  name: { variable: string } | { property: string };
  /** The variable's name, or `Class.property`. */
  entity: string;
  /** How the state is shared, for the reason: `a module-level Map`. */
  holder: string;
  /** The class a property belongs to: its constructor fills it once, before any request. */
  owner?: ts.ClassLikeDeclaration;
}

interface Use {
  effect: OperationEffect;
  api: string;
  /** The node the engine keys the operation by: the call, the assignment or update, or the read expression. */
  node: ts.Node;
  /** Where it is reported: the member name, the assignment, the read. */
  at: ts.Node;
}

const KIND_NAMES: Record<StateKind, string> = { map: "Map", set: "Set", array: "array", object: "object", counter: "counter" };
const API_PREFIXES: Record<StateKind, string> = { map: "Map", set: "Set", array: "Array", object: "object", counter: "counter" };

const READS = ["forEach", "keys", "values", "entries"];
const METHODS: Record<"map" | "set" | "array", Record<string, OperationEffect>> = {
  map: { ...effects(["get", "has", ...READS], "read"), set: "overwrite", delete: "delete", clear: "delete" },
  set: { ...effects(["has", ...READS], "read"), add: "add", delete: "delete", clear: "delete" },
  array: {
    ...effects(["at", "includes", "indexOf", "lastIndexOf", "find", "findIndex", "findLast", "findLastIndex", "some", "every", "filter", "map", "flatMap", "reduce", "slice", "join", "concat", ...READS], "read"),
    ...effects(["push", "unshift"], "add"),
    ...effects(["pop", "shift", "splice"], "delete"),
    ...effects(["sort", "reverse", "fill", "copyWithin"], "overwrite"),
  },
};
const SIZES: Record<"map" | "set" | "array", string> = { map: "size", set: "size", array: "length" };

/**
 * Decorators that make a class a container singleton unless their options name another scope (`@Injectable({ scope:
 * Scope.REQUEST })`, `@Service({ transient: true })`). tsyringe's `@injectable()` and inversify's are transient by default.
 */
const SINGLETON_DECORATORS: Record<string, readonly string[]> = {
  "@nestjs/common": ["Injectable", "Controller"],
  "@nestjs/graphql": ["Resolver"],
  "@nestjs/websockets": ["WebSocketGateway"],
  typedi: ["Service"],
  tsyringe: ["singleton"],
};

function effects(names: string[], effect: OperationEffect): Record<string, OperationEffect> {
  return Object.fromEntries(names.map((n) => [n, effect]));
}

export function detectSharedState(index: CodeIndex, resolver: Resolver): DetectedOperation[] {
  const states = sharedStates(index, resolver);
  if (states.size === 0) return [];
  const variableNames = new Set<string>();
  const propertyNames = new Set<string>();
  for (const { name } of states.values()) {
    if ("variable" in name) variableNames.add(name.variable);
    else propertyNames.add(name.property);
  }
  const stateOf = (node: ts.Node): SharedState | undefined => {
    for (const declaration of resolver.declarationsOf(node)) {
      const state = states.get(declaration);
      if (state) return state;
    }
    return undefined;
  };

  const uses: (Use & { state: SharedState; unit: FunctionUnit })[] = [];
  for (const scan of index.files) {
    const unitOf = new Map<ts.Node, FunctionUnit>(scan.units.map((u) => [u.node, u]));
    const visit = (node: ts.Node, unit: FunctionUnit | undefined): void => {
      const current = isFunctionNode(node) ? (unitOf.get(node) ?? unit) : unit;
      // Only code that runs when a function runs: the module's own top level runs once, at load.
      if (current) {
        const named = ts.isIdentifier(node) ? variableNames.has(node.text) && isReference(node) : ts.isPropertyAccessExpression(node) && propertyNames.has(node.name.text);
        const state = named ? stateOf(node) : undefined;
        const setup = state?.owner !== undefined && ts.isConstructorDeclaration(current.node) && current.node.parent === state.owner;
        const use = state && !setup && useOf(node as ts.Expression, state.kind);
        if (use) uses.push({ ...use, state: state!, unit: current });
      }
      ts.forEachChild(node, (child) => visit(child, current));
    };
    visit(scan.sourceFile, undefined);
  }

  // State only read (a lookup table, a configuration object) assumes nothing about instances: no operations.
  const written = new Set(uses.filter((u) => u.effect !== "read").map((u) => u.state));
  return uses
    .filter((u) => written.has(u.state))
    .map(({ state, unit, effect, api, node, at }) => {
      const sourceFile = unit.sourceFile;
      const { line, column } = positionOf(at, sourceFile);
      const operation: Operation = {
        file: index.code.relative(sourceFile.fileName),
        line,
        column,
        function: unit.name,
        rule: `memory/${state.kind}-${effect}`,
        api,
        effect,
        monotonic: MONOTONIC_EFFECTS.has(effect),
        reason: `${state.holder} ${effect === "read" ? "read" : "written"} in process memory: each instance of the service holds its own copy (a hidden single-instance assumption); ${EFFECT_REASONS[effect]}`,
        entity: state.entity,
      };
      return { operation, node, unit };
    });
}

/** Module-level variables and properties of singleton classes holding a collection or a number, by declaration. */
function sharedStates(index: CodeIndex, resolver: Resolver): Map<ts.Node, SharedState> {
  const states = new Map<ts.Node, SharedState>();
  const candidates = new Map<ts.ClassDeclaration, { property: ts.PropertyDeclaration; kind: StateKind }[]>();
  for (const scan of index.files) {
    for (const statement of scan.sourceFile.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      const constant = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const kind = kindOf(declaration, !constant, resolver);
        if (!kind) continue;
        states.set(declaration, { kind, name: { variable: declaration.name.text }, entity: declaration.name.text, holder: `a module-level ${KIND_NAMES[kind]}` });
      }
    }
    for (const cls of scan.classes) {
      for (const member of cls.members) {
        if (!ts.isPropertyDeclaration(member) || ts.isComputedPropertyName(member.name)) continue;
        const kind = kindOf(member, !hasModifier(member, ts.SyntaxKind.ReadonlyKeyword), resolver);
        if (!kind) continue;
        const entity = `${className(cls)}.${propertyNameText(member.name)}`;
        if (hasModifier(member, ts.SyntaxKind.StaticKeyword)) states.set(member, { kind, name: { property: propertyNameText(member.name) }, entity, holder: `a static ${KIND_NAMES[kind]} of ${className(cls)}` });
        else candidates.set(cls, [...(candidates.get(cls) ?? []), { property: member, kind }]);
      }
    }
  }
  if (candidates.size === 0) return states;

  // A class instantiated at module level and nowhere inside a function has one instance per process.
  const names = new Set([...candidates.keys()].map((c) => className(c)));
  const atModuleLevel = new Set<ts.Node>();
  const perCall = new Set<ts.Node>();
  for (const scan of index.files) {
    for (const { node, unit } of scan.calls) {
      if (!ts.isNewExpression(node) || !ts.isIdentifier(node.expression) || !names.has(node.expression.text)) continue;
      for (const declaration of resolver.declarationsOf(node.expression)) (unit ? perCall : atModuleLevel).add(declaration);
    }
  }
  for (const [cls, properties] of candidates) {
    const singleton = singletonDecorator(cls, resolver) ?? (atModuleLevel.has(cls) && !perCall.has(cls) ? "module-level instance" : undefined);
    if (!singleton) continue;
    for (const { property, kind } of properties) {
      states.set(property, { kind, name: { property: propertyNameText(property.name) }, entity: `${className(cls)}.${propertyNameText(property.name)}`, owner: cls, holder: `a ${KIND_NAMES[kind]} held by the ${singleton === "module-level instance" ? "" : `@${singleton} `}singleton ${className(cls)}` });
    }
  }
  return states;
}

/**
 * What a declaration holds, from its initializer (`new Map()`, `[]`, `{}`, `0`); a number too when it can be reassigned
 * and is declared or inferred `number` (`let seatsLeft = limits.seats`). A constant number cannot change.
 */
function kindOf(declaration: ts.VariableDeclaration | ts.PropertyDeclaration, reassignable: boolean, resolver: Resolver): StateKind | undefined {
  const initializer = declaration.initializer && skipOuterExpressions(declaration.initializer);
  if (initializer && ts.isNewExpression(initializer) && ts.isIdentifier(initializer.expression) && (initializer.expression.text === "Map" || initializer.expression.text === "Set")) {
    // The runtime's Map, not a project class of that name.
    const declarations = resolver.declarationsOf(initializer.expression);
    return declarations.some((d) => resolver.index.isAnalysed(d.getSourceFile().fileName)) ? undefined : initializer.expression.text === "Map" ? "map" : "set";
  }
  if (initializer && ts.isArrayLiteralExpression(initializer)) return "array";
  if (initializer && ts.isObjectLiteralExpression(initializer)) return "object";
  if (!reassignable) return undefined;
  if (declaration.type) return declaration.type.kind === ts.SyntaxKind.NumberKeyword ? "counter" : undefined;
  if (!initializer) return undefined;
  if (ts.isNumericLiteral(initializer) || (ts.isPrefixUnaryExpression(initializer) && ts.isNumericLiteral(initializer.operand))) return "counter";
  const type = resolver.typeAt(declaration.name);
  return type && type.flags & ts.TypeFlags.NumberLike ? "counter" : undefined;
}

/** The singleton-making decorator on a class (`Injectable`), unless its options ask for another scope. */
function singletonDecorator(cls: ts.ClassDeclaration, resolver: Resolver): string | undefined {
  for (const decorator of ts.getDecorators(cls) ?? []) {
    const expr = skipOuterExpressions(decorator.expression);
    const callee = skipOuterExpressions(ts.isCallExpression(expr) ? expr.expression : expr);
    const binding = ts.isIdentifier(callee) ? resolver.importOf(callee) : resolver.origins(callee).find((o) => o.form === "value");
    if (!binding || !SINGLETON_DECORATORS[binding.module]?.includes(binding.path)) continue;
    const options = ts.isCallExpression(expr) ? expr.arguments.map((a) => skipOuterExpressions(a)).filter(ts.isObjectLiteralExpression) : [];
    if (options.some(scopedOtherwise)) return undefined;
    return binding.path;
  }
  return undefined;
}

/** `{ scope: Scope.REQUEST }`, `{ scope: "transient" }`, `{ transient: true }`. */
function scopedOtherwise(options: ts.ObjectLiteralExpression): boolean {
  return options.properties.some((p) => {
    if (!ts.isPropertyAssignment(p)) return false;
    const name = propertyNameText(p.name);
    const value = skipOuterExpressions(p.initializer);
    if (name === "transient") return value.kind === ts.SyntaxKind.TrueKeyword;
    if (name !== "scope") return false;
    const text = ts.isStringLiteralLike(value) ? value.text : ts.isPropertyAccessExpression(value) ? value.name.text : value.getText();
    return !/^(default|singleton|container)$/i.test(text);
  });
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** An identifier used as a value, not a name being declared, imported or exported, nor a type. */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent) || ts.isPropertyAssignment(parent) || ts.isFunctionDeclaration(parent) || ts.isClassElement(parent)) && parent.name === id) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  return !ts.isImportSpecifier(parent) && !ts.isExportSpecifier(parent) && !ts.isImportClause(parent) && !ts.isTypeQueryNode(parent) && !ts.isQualifiedName(parent);
}

/** What a reference to the state does with it, from where it stands: a method call, a size, a keyed access, an update; undefined when it only passes it on. */
function useOf(ref: ts.Expression, kind: StateKind): Use | undefined {
  let outer: ts.Expression = ref;
  while (ts.isParenthesizedExpression(outer.parent) || ts.isNonNullExpression(outer.parent)) outer = outer.parent;
  const parent = outer.parent;
  const prefix = API_PREFIXES[kind];
  const updated = updateOf(parent, outer);
  if (updated) {
    const [node, operator] = updated;
    // A whole collection replaced (`queue = []`) is overwritten; a counter moved by `++`, `--`, `+=`, `-=` is incremented.
    if (kind !== "counter" && operator !== "=") return undefined;
    return { effect: kind === "counter" && INCREMENTS.test(operator) ? "increment" : "overwrite", api: apiOf(prefix, operator), node, at: node };
  }
  if (kind === "counter") return { effect: "read", api: prefix, node: outer, at: outer };
  if (ts.isElementAccessExpression(parent) && parent.expression === outer) return kind === "object" || kind === "array" ? keyedUse(parent, prefix) : undefined;
  if (!ts.isPropertyAccessExpression(parent) || parent.expression !== outer) return undefined;
  if (kind === "object") return ts.isCallExpression(parent.parent) && parent.parent.expression === parent ? undefined : keyedUse(parent, prefix);
  const member = parent.name.text;
  if (ts.isCallExpression(parent.parent) && parent.parent.expression === parent) {
    const effect = METHODS[kind][member];
    return effect ? { effect, api: `${prefix}.${member}`, node: parent.parent, at: parent.name } : undefined;
  }
  if (member !== SIZES[kind]) return undefined;
  // `queue.length = 0` empties the array.
  const truncated = updateOf(parent.parent, parent);
  if (truncated) return { effect: "delete", api: `${prefix}.${member} =`, node: truncated[0], at: truncated[0] };
  return { effect: "read", api: `${prefix}.${member}`, node: parent, at: parent.name };
}

/** `state[key]` (or `state.field` of an object): a delete, an increment, an overwrite or a read of one entry. */
function keyedUse(access: ts.ElementAccessExpression | ts.PropertyAccessExpression, prefix: string): Use {
  let outer: ts.Expression = access;
  while (ts.isParenthesizedExpression(outer.parent) || ts.isNonNullExpression(outer.parent)) outer = outer.parent;
  const parent = outer.parent;
  const entry = prefix === "Array" ? "Array[index]" : `${prefix}[key]`;
  if (ts.isDeleteExpression(parent)) return { effect: "delete", api: `delete ${entry}`, node: parent, at: parent };
  const updated = updateOf(parent, outer);
  if (updated) {
    const [node, operator] = updated;
    return { effect: INCREMENTS.test(operator) ? "increment" : "overwrite", api: apiOf(entry, operator), node, at: node };
  }
  return { effect: "read", api: entry, node: outer, at: outer };
}

const INCREMENTS = /^(\+\+|--|\+=|-=)$/;

/** `number++`, `object[key] +=`. */
function apiOf(target: string, operator: string): string {
  return operator === "++" || operator === "--" ? `${target}${operator}` : `${target} ${operator}`;
}

/** The assignment or `++`/`--` that writes `target`, with its operator. */
function updateOf(parent: ts.Node, target: ts.Expression): [ts.Expression, string] | undefined {
  if ((ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) && parent.operand === target && (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken)) {
    return [parent, parent.operator === ts.SyntaxKind.PlusPlusToken ? "++" : "--"];
  }
  if (ts.isBinaryExpression(parent) && parent.left === target && parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
    return [parent, ts.tokenToString(parent.operatorToken.kind)!];
  }
  return undefined;
}
