// State operations: every read and write of shared state the rules know (and every non-monotonic site), with its effect and the entity it touches, for CALM.
import { ts } from "ts-morph";
import { MONOTONIC_EFFECTS, type Operation, type OperationEffect } from "../model/report.js";
import type { CodeIndex } from "../scan/code-index.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import { propertyNameText, type CallNode, type FunctionUnit } from "../scan/units.js";
import { argumentsMeet, argumentsOf, detectSites, valueAt, type DetectedSite } from "./detect.js";
import { normaliseEntity } from "../model/entities.js";
import { renderResource } from "./resource.js";
import { EFFECT_REASONS } from "./effects.js";
import type { EntityRef, KnowledgeBase, OperationRule, ValueRef } from "./rules.js";

export interface DetectedOperation {
  operation: Operation;
  /** The call (or, for SQL, the call sending it) that is the operation. */
  node: ts.Node;
  unit: FunctionUnit | undefined;
  /** The fields a write sets, when they can be read from its arguments. */
  fields?: string[];
  /** The fields a write's condition compares. */
  where?: string[];
}

const SKIPPING_INSERT_REASON = "an insert that skips a duplicate (ON CONFLICT DO NOTHING, INSERT IGNORE): the unique constraint decides, monotonic";

const CONDITIONAL_REASON = "a relative update conditioned on the field it changes (it must stay within a bound): non-monotonic, but checked and written in one command";

/** Update operators inside a write's fields and what a field written through them undergoes. */
const FIELD_OPERATORS: Record<string, OperationEffect> = {
  increment: "increment",
  decrement: "increment",
  $inc: "increment",
  $addToSet: "add",
  $push: "add",
  set: "overwrite",
  $set: "overwrite",
  $unset: "overwrite",
  $pull: "overwrite",
  $pop: "overwrite",
  $rename: "overwrite",
  $min: "overwrite",
  $max: "overwrite",
  $mul: "overwrite",
  multiply: "overwrite",
  divide: "overwrite",
  push: "add",
};

export function detectOperations(index: CodeIndex, resolver: Resolver, knowledge: KnowledgeBase, sites: readonly DetectedSite[]): DetectedOperation[] {
  const found: DetectedOperation[] = [];
  for (const detected of detectSites(index, resolver, knowledge.operations)) {
    const rule = detected.rule.operation!;
    const call = detected.node as CallNode;
    let effect = rule.effect === "sql" ? sqlEffect(detected) : refinedEffect(rule.effect, call, rule.fields);
    if (!effect) continue;
    // `cart.items.find((l) => …)` is Array.prototype.find on a loaded document: no store's read takes a function first.
    const first = argumentsOf(call)[0];
    if (effect === "read" && first && (ts.isArrowFunction(skipOuterExpressions(first)) || ts.isFunctionExpression(skipOuterExpressions(first)))) continue;
    const args = argumentsOf(call);
    const atomic =
      (rule.atomicWhen !== undefined && argumentsMeet(rule.atomicWhen, args, resolver) !== undefined) ||
      (rule.atomicWhenChained !== undefined && chainedCalls(call, rule.atomicWhenChained.method).some((c) => new RegExp(rule.atomicWhenChained!.pattern ?? "", "i").test(c.getText()))) ||
      (rule.effect === "sql" && sqlAtomic(detected));
    const locks = (rule.locksWhen !== undefined && argumentsMeet(rule.locksWhen, args, resolver) !== undefined) || (effect === "read" && detected.site.statement?.lock !== undefined);
    const table = detected.facts?.tables[0];
    const entity = rule.effect === "sql" ? table && normaliseEntity(table) : entityOf(call, rule.entity, resolver);
    const fields = rule.effect === "sql" ? detected.facts?.columns : rule.fields && fieldsAt(call, rule.fields);
    const where = rule.effect === "sql" ? detected.facts?.where : rule.where && fieldsAt(call, rule.where);
    // A relative update conditioned on the field it changes (`balance >= $1` while decrementing balance) must stay within a bound: non-monotonic, checked in the same command.
    const conditional = effect === "increment" && (where ?? []).some((f) => (fields ?? []).includes(f));
    if (conditional) effect = "overwrite";
    const { file, line, column, function: fn } = detected.site;
    found.push({
      operation: operationOf({ file, line, column, function: fn, rule: rule.id, api: rule.api, effect, reason: conditional ? CONDITIONAL_REASON : effect === "insert" && atomic && rule.effect !== "sql" && !rule.reason ? SKIPPING_INSERT_REASON : reasonOf(rule, effect, detected), entity, atomic: atomic || conditional, locks }),
      node: call,
      unit: detected.unit,
      ...(fields && fields.length > 0 ? { fields } : {}),
      ...(where && where.length > 0 ? { where } : {}),
    });
  }
  // One statement built as a chain is one write: a rule matched further down the chain (`insert(t).onConflictDoUpdate(…)`) says more than one at its start.
  const writeNodes = new Set(found.filter((o) => o.operation.effect !== "read").map((o) => o.node));
  const outerWrite = (node: ts.Node): boolean => {
    for (let up: ts.Node = node; ts.isPropertyAccessExpression(up.parent) && ts.isCallExpression(up.parent.parent) && up.parent.parent.expression === up.parent; up = up.parent.parent) {
      if (writeNodes.has(up.parent.parent)) return true;
    }
    return false;
  };
  for (let i = found.length - 1; i >= 0; i--) if (found[i]!.operation.effect !== "read" && outerWrite(found[i]!.node)) found.splice(i, 1);
  // A non-monotonic site found in SQL text is also its statement's operation: keep the statement's, which knows its table.
  const located = new Set(found.map((o) => `${o.operation.file}:${o.operation.line}:${o.operation.column}`));
  for (const detected of sites) {
    if (detected.site.kind !== "non-monotonic" || located.has(`${detected.site.file}:${detected.site.line}:${detected.site.column}`)) continue;
    const rule = detected.rule;
    const effect = rule.effect ?? "overwrite";
    const call = detected.node as CallNode;
    const entity = rule.entity ? entityOf(call, rule.entity, resolver) : detected.site.resource?.expression;
    const { file, line, column, function: fn } = detected.site;
    found.push({
      operation: operationOf({ file, line, column, function: fn, rule: rule.id, api: rule.api, effect, reason: detected.site.reason ?? EFFECT_REASONS[effect], entity, atomic: rule.atomic === true, locks: false }),
      node: call,
      unit: detected.unit,
    });
  }
  return found;
}

function operationOf(fields: Omit<Operation, "monotonic" | "atomic" | "locks" | "entity"> & { entity: string | undefined; atomic: boolean; locks: boolean }): Operation {
  const { entity, atomic, locks, ...rest } = fields;
  return {
    ...rest,
    monotonic: MONOTONIC_EFFECTS.has(rest.effect),
    ...(entity ? { entity } : {}),
    ...(atomic ? { atomic: true as const } : {}),
    ...(locks ? { locks: true as const } : {}),
  };
}

function reasonOf(rule: OperationRule, effect: OperationEffect, detected: DetectedSite): string {
  if (rule.reason && rule.effect !== "sql") return rule.reason;
  if (rule.effect !== "sql") return EFFECT_REASONS[effect];
  const statement = detected.site.statement;
  const table = detected.facts?.tables[0];
  const on = table ? ` on ${table}` : "";
  switch (effect) {
    case "read":
      return `SELECT${on}${statement?.lock ? ` FOR ${statement.lock.toUpperCase()}` : ""}: ${EFFECT_REASONS.read}`;
    case "insert":
      return statement?.onConflict === "nothing" ? `INSERT${on} … ON CONFLICT DO NOTHING: an insert that skips a duplicate, monotonic` : `INSERT${on}: ${EFFECT_REASONS.insert}`;
    case "upsert":
      return `INSERT${on} … ON CONFLICT DO UPDATE: ${EFFECT_REASONS.upsert}`;
    case "allocate":
      return `INSERT${on} … SELECT MAX(…) + 1: ${EFFECT_REASONS.allocate}`;
    case "increment":
      return `UPDATE${on} SET col = col ± n: ${EFFECT_REASONS.increment}`;
    case "overwrite":
      return `UPDATE${on} SET ${(detected.facts?.columns ?? []).join(", ") || "…"}: ${EFFECT_REASONS.overwrite}`;
    case "delete":
      return `DELETE${on}: ${EFFECT_REASONS.delete}`;
    default:
      return EFFECT_REASONS[effect];
  }
}

/** What a statement does to the state; undefined for transaction control and the rest. */
function sqlEffect(detected: DetectedSite): OperationEffect | undefined {
  const statement = detected.site.statement;
  if (!statement) return undefined;
  switch (statement.type) {
    case "select":
      return "read";
    case "insert":
      if (detected.facts?.allocates) return "allocate";
      // `ON DUPLICATE KEY UPDATE n = n + 1`: a counter created or incremented, commutative either way.
      if (statement.onConflict === "update" && statement.increments && !statement.assigns) return "increment";
      return statement.onConflict === "update" || statement.onConflict === "replace" ? "upsert" : "insert";
    case "update":
      return statement.increments && !statement.assigns ? "increment" : "overwrite";
    case "delete":
      return "delete";
    default:
      return undefined;
  }
}

/** An insert that skips a duplicate (ON CONFLICT DO NOTHING, INSERT IGNORE, WHERE NOT EXISTS) checks and writes at once. */
function sqlAtomic(detected: DetectedSite): boolean {
  const statement = detected.site.statement;
  return statement?.type === "insert" && (statement.onConflict === "nothing" || statement.notExists === true);
}

/** An update whose every field goes through an increment operator is an increment; through add operators, an add. */
function refinedEffect(effect: OperationEffect, call: CallNode, ref: ValueRef | undefined): OperationEffect {
  if ((effect !== "overwrite" && effect !== "upsert") || !ref) return effect;
  const value = valueAt(call, ref);
  const literal = value && objectWritten(value);
  if (!literal || !ts.isObjectLiteralExpression(literal) || literal.properties.length === 0) return effect;
  const effects = new Set<OperationEffect>();
  for (const property of literal.properties) {
    if (!ts.isPropertyAssignment(property)) return effect;
    const name = propertyNameText(property.name);
    const operator = FIELD_OPERATORS[name];
    if (operator) {
      effects.add(operator);
      continue;
    }
    const inner = skipOuterExpressions(property.initializer);
    const nested = ts.isObjectLiteralExpression(inner) && inner.properties.length === 1 && ts.isPropertyAssignment(inner.properties[0]!) ? FIELD_OPERATORS[propertyNameText(inner.properties[0].name)] : undefined;
    if (nested) effects.add(nested);
    else if (incrementsInDatabase(inner, name)) effects.add("increment");
    else return effect;
  }
  if (effects.size === 1 && (effects.has("increment") || effects.has("add"))) return [...effects][0]!;
  return effect;
}

/**
 * A field's new value computed by the database from its own (`knex.raw("views + 1")`, `` sql`${posts.views} + 1` ``,
 * kysely `eb("views", "+", 1)`), not from a value the code read: a commutative increment.
 */
function incrementsInDatabase(value: ts.Expression, field: string): boolean {
  // typeorm `.set({ stock: () => "stock - :q" })`: SQL the builder writes as the new value.
  const computed = (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) && !ts.isBlock(value.body) && ts.isStringLiteralLike(skipOuterExpressions(value.body));
  if (!ts.isCallExpression(value) && !ts.isTaggedTemplateExpression(value) && !computed) return false;
  const text = value.getText();
  const name = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`\\b${name}\\b[^,;]*?['"\\s)}]*[+-]\\s*['"]?\\s*[\\w$]`).test(text) || new RegExp(`['"]${name}['"]\\s*,\\s*['"][+-]['"]`).test(text);
}

/** The object a write states its fields in, also when a builder takes it from a callback (`set((eb) => ({ views: … }))`). */
function objectWritten(value: ts.Expression): ts.Expression {
  const expr = skipOuterExpressions(value);
  if ((ts.isArrowFunction(expr) || ts.isFunctionExpression(expr)) && !ts.isBlock(expr.body)) return skipOuterExpressions(expr.body);
  return expr;
}

/** The keys of the object literal a write states its fields or condition in; operator objects (`$set`, `{ increment }`) stand for their fields. */
function fieldsAt(call: CallNode, ref: ValueRef): string[] | undefined {
  // Every `.where(…)` of a chain states a condition (`.where("id", "=", id).where("status", "=", "draft")`).
  if (ref.chained) {
    const values = chainedCalls(call, [ref.chained]).flatMap((c) => (c.arguments[0] ? [c.arguments[0]] : []));
    const names = values.flatMap((v) => fieldsOfValue(v) ?? []);
    return names.length > 0 ? [...new Set(names)].sort() : undefined;
  }
  const value = valueAt(call, ref);
  return value && fieldsOfValue(value);
}

/** The calls further down a call's chain with one of these names, nearest first. */
function chainedCalls(call: CallNode, names: readonly string[]): ts.CallExpression[] {
  const found: ts.CallExpression[] = [];
  for (let node: ts.Node = call; ts.isPropertyAccessExpression(node.parent) && ts.isCallExpression(node.parent.parent) && node.parent.parent.expression === node.parent; node = node.parent.parent) {
    if (names.includes(node.parent.name.text)) found.push(node.parent.parent);
  }
  return found;
}

function fieldsOfValue(value: ts.Expression): string[] | undefined {
  const literal = value && objectWritten(value);
  // A column named by a string (kysely `.where("status", "=", "draft")`, typeorm `decrement(…, "stock", n)`), or a SQL condition (`"id = :id AND stock >= :q"`).
  if (value && ts.isStringLiteralLike(skipOuterExpressions(value))) {
    const text = (skipOuterExpressions(value) as ts.StringLiteralLike).text;
    if (/^\w+$/.test(text)) return [text];
    // A DynamoDB UpdateExpression names attributes through `#placeholders` that usually spell the attribute (`SET #balance = :b`).
    const compared = [...text.matchAll(/(?:^|[\s(.#,])(\w+)"?\s*(?:=|<>|!=|<=|>=|<|>|\bIS\b|\bIN\b)/gi)].map((m) => m[1]!).filter((c) => !/^(and|or|not|set)$/i.test(c));
    return compared.length > 0 ? [...new Set(compared)].sort() : undefined;
  }
  if (!literal || !ts.isObjectLiteralExpression(literal)) return undefined;
  const names: string[] = [];
  for (const property of literal.properties) {
    if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
    const name = propertyNameText(property.name);
    const inner = ts.isPropertyAssignment(property) ? skipOuterExpressions(property.initializer) : undefined;
    if (name.startsWith("$") && inner && ts.isObjectLiteralExpression(inner)) {
      for (const p of inner.properties) if (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) names.push(propertyNameText(p.name));
    } else if (!name.startsWith("$")) {
      names.push(name);
    }
  }
  return [...new Set(names)].sort();
}

/** The entity an operation touches, named for matching reads with writes (`prisma.user` and `tx.users` are both `user`). */
export function entityOf(call: CallNode, ref: EntityRef | undefined, resolver: Resolver): string | undefined {
  if (!ref) return undefined;
  // A row a read returned, passed back (`manager.save(product)`, `em.save([source, target])`), is of the read's entity.
  const first = ref.receiver && !ts.isTaggedTemplateExpression(call) ? call.arguments?.[0] : undefined;
  const row = first && skipOuterExpressions(first);
  const element = row && ts.isArrayLiteralExpression(row) ? row.elements[0] : row;
  const returned = element && ts.isIdentifier(skipOuterExpressions(element)) ? readInto(skipOuterExpressions(element) as ts.Identifier, resolver) : undefined;
  if (returned) return returned;
  if (ref.receiver || ref.receiverCall) {
    const callee = ts.isTaggedTemplateExpression(call) ? undefined : skipOuterExpressions(call.expression);
    const receiver = callee && ts.isPropertyAccessExpression(callee) ? skipOuterExpressions(callee.expression) : undefined;
    if (!receiver) return undefined;
    if (ref.receiverCall) {
      const made = innermostCall(receiver);
      const first = made?.arguments[0];
      return first ? nameOf(first, resolver) : undefined;
    }
    if (ts.isCallExpression(receiver)) {
      const first = receiver.arguments[0];
      return first ? nameOf(first, resolver) : undefined;
    }
    return nameOf(receiver, resolver);
  }
  const value = ref.chained ? (valueAt(call, { chained: ref.chained }) ?? earlierInChain(call, ref.chained)) : valueAt(call, { argument: ref.argument ?? 0, ...(ref.property ? { property: ref.property } : {}) });
  return value ? nameOf(value, resolver) : undefined;
}

/**
 * A row a read returned (`const from = await Account.findByPk(id)`, then `from.decrement(…)` or `manager.save(from)`) is
 * of the entity the read names: its class argument (`findOne(User, …)`) or its receiver.
 */
function readInto(id: ts.Identifier, resolver: Resolver): string | undefined {
  const declaration = resolver.declarationsOf(id)[0];
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return undefined;
  // Only a row a read returned: `db.collection("orders")`, not awaited, is a handle named by its argument, and
  // `em.getRepository(Ticket)` one named by its class.
  let awaited: ts.Expression = declaration.initializer;
  while (ts.isParenthesizedExpression(awaited) || ts.isAsExpression(awaited) || ts.isNonNullExpression(awaited) || ts.isSatisfiesExpression(awaited)) awaited = awaited.expression;
  if (!ts.isAwaitExpression(awaited)) {
    const handle = ts.isCallExpression(awaited) && awaited.arguments[0] ? skipOuterExpressions(awaited.arguments[0]) : undefined;
    return handle && ts.isIdentifier(handle) && /^[A-Z]/.test(handle.text) ? normaliseEntity(handle.text) : undefined;
  }
  const init = skipOuterExpressions(awaited.expression);
  if (!ts.isCallExpression(init)) return undefined;
  const first = init.arguments[0] && skipOuterExpressions(init.arguments[0]);
  if (first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text)) return normaliseEntity(first.text);
  const callee = skipOuterExpressions(init.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const receiver = skipOuterExpressions(callee.expression);
  if (ts.isIdentifier(receiver)) return normaliseEntity(receiver.text);
  return ts.isPropertyAccessExpression(receiver) ? normaliseEntity(receiver.name.text) : undefined;
}

/** The first argument of a call with this name earlier in the chain a call is made on (`into(User)` before `.orIgnore()`). */
function earlierInChain(call: CallNode, name: string): ts.Expression | undefined {
  let node: ts.Expression = ts.isTaggedTemplateExpression(call) ? call.tag : call.expression;
  while (ts.isPropertyAccessExpression(node) || ts.isCallExpression(node)) {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === name) return node.arguments[0];
    node = node.expression;
  }
  return undefined;
}

/** The call a chain starts from (`knex('users').where(…)` → `knex('users')`). */
function innermostCall(expr: ts.Expression): ts.CallExpression | undefined {
  let node = skipOuterExpressions(expr);
  let last: ts.CallExpression | undefined;
  while (ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) {
    if (ts.isCallExpression(node)) last = node;
    node = skipOuterExpressions(node.expression);
  }
  return last;
}

function nameOf(expr: ts.Expression, resolver: Resolver): string | undefined {
  const value = skipOuterExpressions(expr);
  if (ts.isStringLiteralLike(value)) return normaliseEntity(value.text);
  if (ts.isIdentifier(value)) return readInto(value, resolver) ?? normaliseEntity(value.text);
  if (ts.isPropertyAccessExpression(value)) return normaliseEntity(value.name.text);
  // An object or array (a filter, rows) names no entity: a rule reading the class from that argument matched another overload.
  if (value.kind === ts.SyntaxKind.ThisKeyword || ts.isObjectLiteralExpression(value) || ts.isArrayLiteralExpression(value)) return undefined;
  // A key expression (`stock:${id}`): matched as written.
  return renderResource({ node: value, bindings: new Map() }, resolver).expression;
}
