// Check-then-act: a read whose result decides a later write of the same entity, followed through variables and awaits inside a function, and through its calls by their reachable operations.
import { ts } from "ts-morph";
import type { Anomaly } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import { isFunctionNode, propertyNameText, type FunctionUnit } from "../scan/units.js";
import type { DetectedOperation } from "../sites/operations.js";

export type DecisionShape = "absence" | "threshold" | "state" | "read-modify-write";

export interface CheckThenAct {
  unit: FunctionUnit;
  /** The call in the unit that reads (directly or through what it calls). */
  read: ts.Node;
  /** The call in the unit that writes, depending on the read. */
  write: ts.Node;
  /** The condition that decides, when the write depends on a check rather than on the read's value. */
  check?: ts.Expression;
  readOps: number[];
  writeOps: number[];
  entity: string;
  shape: DecisionShape;
  anomaly: Anomaly;
  /** The write re-checks what was read in the same command (a conditional write, a unique insert, a version check). */
  atomic: boolean;
  /** Some read takes a row lock. */
  readLocks: boolean;
}

interface Taint {
  entities: Set<string>;
  reads: number[];
  call: ts.Node;
  /** The field of the read row this name holds (`const { balance } = …`); undefined: the row or value itself. */
  field?: string;
  pos: number;
  /** An earlier statement of the function locked the rows read. */
  locked?: true;
}

/** What is spent, or used once: checked and then taken twice is a double spend; stock and seats, an oversell. */
const MONEY = /balance|credit|fund|wallet|amount|money|points|cash|budget|quota|token|code|otp|coupon|voucher|invit/i;
const WRITES_FOR: Record<Exclude<DecisionShape, "read-modify-write">, ReadonlySet<string>> = {
  absence: new Set(["insert", "upsert", "allocate"]),
  threshold: new Set(["overwrite", "increment", "delete", "insert", "upsert", "allocate"]),
  state: new Set(["overwrite", "delete", "upsert", "increment"]),
};

/**
 * The check-then-acts decided in one function. `opsAt` gives, for a call written in it, the operations the call is or
 * reaches (indices into `operations`).
 */
export function checkThenActs(unit: FunctionUnit, operations: readonly DetectedOperation[], opsAt: (call: ts.Node) => readonly number[]): CheckThenAct[] {
  // Operations that are not calls (`seatsLeft--`, `counts[ip] = n + 1` on module-level state) take part as their own nodes.
  const own = operations.filter((o) => o.unit === unit && !ts.isCallExpression(o.node) && !ts.isNewExpression(o.node) && !ts.isTaggedTemplateExpression(o.node)).map((o) => o.node);
  const calls = [...unit.calls, ...new Set(own)].filter((c) => opsAt(c).length > 0).sort((a, b) => a.getStart() - b.getStart());
  const found = new Map<string, CheckThenAct>();
  // `INSERT … SELECT MAX(n) + 1`: the read and the write in one statement, racing like an "if absent, create".
  for (const call of calls) {
    for (const w of opsAt(call)) {
      const op = operations[w]!;
      if (op.operation.effect !== "allocate" || op.unit !== unit || op.node !== call) continue;
      found.set(`${call.getStart()}:${call.getStart()}`, { unit, read: call, write: call, readOps: [], writeOps: [w], entity: op.operation.entity ?? "", shape: "absence", anomaly: "duplicate", atomic: op.operation.atomic === true, readLocks: false });
    }
  }
  const readsAt = new Map<ts.Node, number[]>();
  const writesAt = new Map<ts.Node, number[]>();
  // Reads naming no entity (`.for("update")`, `.setLock(…)`) still count inside a chain: they make the chain's read a locking one.
  const allReads = new Map<ts.Node, number[]>();
  for (const call of calls) {
    const ops = opsAt(call);
    const reads = ops.filter((i) => operations[i]!.operation.effect === "read");
    const writes = ops.filter((i) => operations[i]!.operation.effect !== "read" && operations[i]!.operation.entity);
    if (reads.length > 0) allReads.set(call, reads);
    if (writes.length > 0) writesAt.set(call, writes);
  }
  // One query built as a chain (`trx("posts").where(…).forUpdate().first()`) is one read: the outermost call stands for the calls inside it.
  const chained = new Set<ts.Node>();
  for (const call of allReads.keys()) for (const inner of innerCalls(call)) if (allReads.has(inner)) chained.add(inner);
  for (const [call, reads] of allReads) {
    if (chained.has(call)) continue;
    const merged = [...new Set([...reads, ...innerCalls(call).flatMap((c) => allReads.get(c) ?? [])])];
    if (merged.some((i) => operations[i]!.operation.entity)) readsAt.set(call, merged);
  }
  const taints = new Map<string, Taint[]>();
  const taint = (name: string, t: Taint): void => {
    taints.set(name, [...(taints.get(name) ?? []), t]);
  };
  const inlineReads = new Map<ts.Node, Taint>();
  // A row lock taken by an earlier statement of the function (`SELECT … FOR UPDATE` of the rows, then the reads) covers the reads after it.
  const lockedBefore = (call: ts.Node, entities: ReadonlySet<string>): boolean =>
    calls.some((c) => c.getStart() < call.getStart() && opsAt(c).some((i) => operations[i]!.operation.locks === true && entities.has(operations[i]!.operation.entity ?? "")));
  for (const [call, reads] of readsAt) {
    const entities = new Set(reads.flatMap((i) => operations[i]!.operation.entity ?? []));
    const base: Taint = { entities, reads, call, pos: call.getStart(), ...(lockedBefore(call, entities) ? { locked: true } : {}) };
    const bound = bindingOf(call);
    if (bound.length === 0) inlineReads.set(call, base);
    for (const { name, field } of bound) taint(name, { ...base, ...(field ? { field } : {}), pos: call.end });
  }
  const taintsIn = (node: ts.Node): Taint[] => {
    const found: Taint[] = [];
    const visit = (n: ts.Node): void => {
      if (isFunctionNode(n) && n !== unit.node) return;
      if (ts.isIdentifier(n) && isReference(n)) {
        for (const t of taints.get(n.text) ?? []) if (t.pos <= n.getStart()) found.push(t);
      }
      const inline = inlineReads.get(n);
      if (inline) found.push(inline);
      ts.forEachChild(n, visit);
    };
    visit(node);
    return found;
  };
  // Names derived from a read (`const available = product.stock - reserved`) carry its taint, in source order.
  walk(unit.node, (node) => {
    if (!ts.isVariableDeclaration(node) || !node.initializer) return;
    const sources = taintsIn(node.initializer).filter((t) => t.call !== skipToCall(node.initializer!));
    if (sources.length === 0) return;
    const init = skipOuterExpressions(node.initializer);
    const field = ts.isPropertyAccessExpression(init) ? init.name.text : sources[0]!.field;
    for (const { name } of namesOf(node.name)) {
      for (const source of sources) taint(name, { ...source, ...(field ? { field } : {}), pos: node.end });
    }
  });

  const record = (read: Taint, writeCall: ts.Node, writes: number[], shape: DecisionShape, checked: Set<string>, check: ts.Expression | undefined): void => {
    for (const w of writes) {
      const write = operations[w]!;
      const entity = write.operation.entity!;
      if (!read.entities.has(entity)) continue;
      // State in the process's own memory only races when something can run between the read and the write: an await.
      if (write.operation.rule.startsWith("memory/") && !awaitsBetween(unit, read.call, writeCall)) continue;
      const readOps = read.reads.filter((r) => operations[r]!.operation.entity === entity);
      // An insert that skips a duplicate, or an upsert, settles an "if absent, create" in one command, not a read-modify-write.
      const settlesAbsenceOnly = write.operation.effect === "insert" || write.operation.effect === "upsert";
      const atomic =
        (write.operation.atomic === true && (shape === "absence" || !settlesAbsenceOnly)) ||
        (write.where ?? []).some((f) => checked.has(f) || /^(version|revision|updatedat|updated_at)$/i.test(f)) ||
        (shape === "absence" && catchesUniqueViolation(writeCall));
      const text = `${entity} ${[...checked].join(" ")} ${check?.getText() ?? ""}`;
      const anomaly: Anomaly =
        shape === "absence" ? "duplicate" : shape === "threshold" ? (MONEY.test(text) ? "double spend" : "oversell") : "lost update";
      const key = `${read.call.getStart()}:${writeCall.getStart()}`;
      const previous = found.get(key);
      const item: CheckThenAct = {
        unit,
        read: read.call,
        write: writeCall,
        ...(check ? { check } : {}),
        readOps,
        writeOps: [w],
        entity,
        shape,
        anomaly,
        atomic,
        readLocks: read.locked === true || read.reads.some((r) => operations[r]!.operation.locks === true),
      };
      if (!previous) found.set(key, item);
      else if (SHAPE_RANK[shape] < SHAPE_RANK[previous.shape]) found.set(key, { ...item, writeOps: [...new Set([...previous.writeOps, w])] });
      else if (previous.shape === shape) previous.writeOps = [...new Set([...previous.writeOps, w])].sort((a, b) => a - b);
    }
  };

  // Decisions: an `if` or conditional whose condition holds a read's result decides the writes in its branches (and after it, when a branch leaves).
  walk(unit.node, (node) => {
    const condition = ts.isIfStatement(node) ? node.expression : ts.isConditionalExpression(node) ? node.condition : undefined;
    if (!condition) return;
    const involved = taintsIn(condition);
    if (involved.length === 0) return;
    const regions = regionsOf(node as ts.IfStatement | ts.ConditionalExpression);
    for (const read of uniqueTaints(involved)) {
      const facts = conditionFacts(condition, read, taints, unit);
      for (const [call, writes] of writesAt) {
        const pos = call.getStart();
        if (pos < read.pos) continue;
        const inTrue = regions.whenTrue.some(([a, b]) => pos >= a && pos < b);
        const inFalse = regions.whenFalse.some(([a, b]) => pos >= a && pos < b);
        if (!inTrue && !inFalse) continue;
        const eligible = (shape: Exclude<DecisionShape, "read-modify-write">): number[] =>
          writes.filter((w) => {
            const op = operations[w]!;
            if (!WRITES_FOR[shape].has(op.operation.effect)) return false;
            if (shape === "absence") return true;
            // The value itself was compared (a count, a key's value): a write of named fields of a row does not change it; an insert, a delete or a key's write does.
            if (facts.checked.has("*") && facts.checked.size === 1) return op.fields === undefined || ["insert", "delete", "allocate"].includes(op.operation.effect);
            if (op.operation.effect === "insert" || op.operation.effect === "allocate") return shape === "threshold";
            return (op.fields ?? []).some((f) => facts.checked.has(f)) || (shape === "threshold" && op.fields === undefined && op.operation.effect !== "overwrite");
          });
        if ((inTrue && facts.whenTrue === "absent") || (inFalse && facts.whenFalse === "absent")) record(read, call, eligible("absence"), "absence", facts.checked, condition);
        if (facts.threshold) record(read, call, eligible("threshold"), "threshold", facts.checked, condition);
        // A value compared with a constant decides a write only where it holds that value (`if (status === "pending") set(k, "done")`);
        // the other branch is a fill (`if (cached === DELETED) return; … set(k, fresh)`).
        else if (facts.checked.size > 0 && (!(facts.checked.size === 1 && facts.checked.has("*")) || facts.equalWhen === undefined || (facts.equalWhen ? inTrue : inFalse)))
          record(read, call, eligible("state"), "state", facts.checked, condition);
      }
    }
  });

  // Read-modify-write: a write whose value is computed from what was read (`balance: acc.balance - amount`, `entity.n += 1; save(entity)`);
  // an insert of the next number read from the data (`number: last.number + 1`) races as an allocation.
  for (const [call, writes] of writesAt) {
    if (!ts.isCallExpression(call)) continue;
    const overwrites = writes.filter((w) => ["overwrite", "upsert"].includes(operations[w]!.operation.effect));
    if (overwrites.length > 0) {
      for (const read of uniqueTaints(computedFrom(call, unit, taints, taintsIn))) record(read, call, overwrites, "read-modify-write", new Set(read.field ? [read.field] : ["*"]), undefined);
    }
    const inserts = writes.filter((w) => operations[w]!.operation.effect === "insert" && !operations[w]!.operation.atomic);
    if (inserts.length > 0) {
      for (const read of uniqueTaints(nextNumberFrom(call, taints))) record(read, call, inserts, "absence", new Set(), undefined);
    }
  }
  return [...found.values()].sort((a, b) => a.write.getStart() - b.write.getStart() || a.read.getStart() - b.read.getStart());
}

const SHAPE_RANK: Record<DecisionShape, number> = { absence: 0, threshold: 1, state: 2, "read-modify-write": 3 };

function uniqueTaints(list: Taint[]): Taint[] {
  const byCall = new Map<ts.Node, Taint>();
  for (const t of list) {
    const seen = byCall.get(t.call);
    if (!seen) byCall.set(t.call, { ...t, entities: new Set(t.entities) });
    else for (const e of t.entities) seen.entities.add(e);
  }
  return [...byCall.values()];
}

/** Visit a function's own nodes (not those of functions written inside it). */
function walk(root: ts.Node, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node): void => {
    if (node !== root && isFunctionNode(node)) return;
    visit(node);
    ts.forEachChild(node, go);
  };
  ts.forEachChild(root, go);
}

/** The names a read's result is bound to: `const x = await read()`, `const { a, b: c } = …`, `x = await read()`; `.field` on the way is the field held. */
function bindingOf(call: ts.Node): { name: string; field?: string }[] {
  let node: ts.Node = call;
  let field: string | undefined;
  for (;;) {
    const parent = node.parent;
    if (ts.isAwaitExpression(parent) || ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent) || ts.isSatisfiesExpression(parent) || ts.isTypeAssertionExpression(parent)) {
      node = parent;
    } else if (ts.isPropertyAccessExpression(parent) && parent.expression === node && !ts.isCallExpression(parent.parent)) {
      field = parent.name.text;
      node = parent;
    } else {
      break;
    }
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && parent.initializer === node) return namesOf(parent.name).map((n) => ({ name: n.name, ...((n.field ?? field) ? { field: n.field ?? field } : {}) }));
  if (ts.isBinaryExpression(parent) && parent.right === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(parent.left)) return [{ name: parent.left.text, ...(field ? { field } : {}) }];
  return [];
}

function namesOf(name: ts.BindingName): { name: string; field?: string }[] {
  if (ts.isIdentifier(name)) return [{ name: name.text }];
  if (ts.isObjectBindingPattern(name)) {
    return name.elements.flatMap((e) => (ts.isIdentifier(e.name) ? [{ name: e.name.text, field: e.propertyName ? propertyNameText(e.propertyName) : e.name.text }] : namesOf(e.name)));
  }
  return name.elements.flatMap((e) => (ts.isBindingElement(e) ? namesOf(e.name) : []));
}

function skipToCall(expr: ts.Expression): ts.Node {
  let node = skipOuterExpressions(expr);
  while (ts.isAwaitExpression(node) || ts.isPropertyAccessExpression(node)) node = skipOuterExpressions(node.expression);
  return node;
}

/** An identifier used as a value (not a property name or a declaration's name). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isBindingElement(parent) || ts.isVariableDeclaration(parent) || ts.isParameter(parent)) && parent.name === id) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === id) return false;
  return true;
}

interface ConditionFacts {
  /** Whether the read found something where the condition is true, and where it is false (`!user`: absent, present). */
  whenTrue?: "absent" | "present";
  whenFalse?: "absent" | "present";
  threshold: boolean;
  /** Fields of the read the condition looks at; `*` the value itself. */
  checked: Set<string>;
  /** For the value itself compared with a constant: true where the condition holds means equal (`===`), false means not (`!==`). */
  equalWhen?: boolean;
}

const RELATIONAL = new Set([ts.SyntaxKind.LessThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.GreaterThanEqualsToken]);
const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

function conditionFacts(condition: ts.Expression, read: Taint, taints: Map<string, Taint[]>, unit: FunctionUnit): ConditionFacts {
  const facts: ConditionFacts = { threshold: false, checked: new Set() };
  const isRead = (node: ts.Node): boolean => {
    const expr = skipOuterExpressions(node as ts.Expression);
    if (ts.isAwaitExpression(expr)) return isRead(expr.expression);
    if (expr === read.call) return true;
    return ts.isIdentifier(expr) && (taints.get(expr.text) ?? []).some((t) => t.call === read.call);
  };
  const bare = (node: ts.Node): boolean => isRead(node) && !(ts.isIdentifier(skipOuterExpressions(node as ts.Expression)) && (taints.get((skipOuterExpressions(node as ts.Expression) as ts.Identifier).text) ?? []).find((t) => t.call === read.call)?.field);
  const isLength = (node: ts.Node): boolean => {
    const expr = skipOuterExpressions(node as ts.Expression);
    return ts.isPropertyAccessExpression(expr) && expr.name.text === "length" && isRead(expr.expression);
  };

  // Thresholds and checked fields, wherever they are in the condition.
  const scan = (node: ts.Node): void => {
    if (isFunctionNode(node)) return;
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      const [side, other] = mentionsRead(node.left, isRead) ? [node.left, node.right] : [node.right, node.left];
      // An expiry check (`Date.now() >= session.expiresAt.getTime()`) compares with the clock, not with what other requests take.
      if (RELATIONAL.has(op) && readsClock(other, unit)) return;
      if (RELATIONAL.has(op) && mentionsRead(side, isRead) && !isLength(side)) {
        facts.threshold = true;
        const before = facts.checked.size;
        collectFields(side, read, taints, facts.checked);
        if (facts.checked.size === before) facts.checked.add("*");
        return;
      }
      if (EQUALITY.has(op) && (bare(side) || isLength(side)) && isEmptyValue(other)) return;
      // A count compared with a number (`owners === 1`) is a threshold; a value compared with a constant (`status === "pending"`), a state.
      if (EQUALITY.has(op) && bare(side) && ts.isNumericLiteral(skipOuterExpressions(other as ts.Expression))) {
        facts.threshold = true;
        facts.checked.add("*");
        return;
      }
      if (EQUALITY.has(op) && bare(side)) {
        facts.checked.add("*");
        facts.equalWhen = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
        return;
      }
    }
    if (ts.isPropertyAccessExpression(node) && chainRootIsRead(node, isRead)) {
      if (node.name.text !== "length") facts.checked.add(node.name.text);
      return;
    }
    if (ts.isIdentifier(node) && isReference(node)) {
      const t = (taints.get(node.text) ?? []).find((t) => t.call === read.call);
      if (t?.field) facts.checked.add(t.field);
    }
    ts.forEachChild(node, scan);
  };
  scan(condition);

  /** Whether the read found something, where the (sub-)condition has the value `truth`. */
  const presence = (node: ts.Expression, truth: boolean): "absent" | "present" | undefined => {
    const expr = skipOuterExpressions(node);
    if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.ExclamationToken) return presence(expr.operand, !truth);
    if (ts.isAwaitExpression(expr)) return presence(expr.expression, truth);
    if (ts.isBinaryExpression(expr)) {
      const op = expr.operatorToken.kind;
      // `a && b` true means both hold; `a || b` false means neither does.
      if ((op === ts.SyntaxKind.AmpersandAmpersandToken && truth) || (op === ts.SyntaxKind.BarBarToken && !truth)) return presence(expr.left, truth) ?? presence(expr.right, truth);
      if (EQUALITY.has(op)) {
        const [side, other] = mentionsRead(expr.left, isRead) ? [expr.left, expr.right] : [expr.right, expr.left];
        if ((bare(side) || isLength(side)) && isEmptyValue(other)) {
          const negated = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
          return truth !== negated ? "absent" : "present";
        }
      }
      return undefined;
    }
    if (bare(expr) || isLength(expr)) return truth ? "present" : "absent";
    return undefined;
  };
  const whenTrue = presence(condition, true);
  const whenFalse = presence(condition, false);
  if (whenTrue) facts.whenTrue = whenTrue;
  if (whenFalse) facts.whenFalse = whenFalse;
  return facts;
}

function mentionsRead(node: ts.Node, isRead: (n: ts.Node) => boolean): boolean {
  let found = false;
  const go = (n: ts.Node): void => {
    if (found || isFunctionNode(n)) return;
    if (isRead(n)) found = true;
    else ts.forEachChild(n, go);
  };
  go(node);
  return found;
}

/** A member chain (`rows[0].available`, `result.Item.balance`) starting at the read's value. */
function chainRootIsRead(node: ts.Expression, isRead: (n: ts.Node) => boolean): boolean {
  let expr = skipOuterExpressions(node);
  while (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) || ts.isNonNullExpression(expr)) expr = skipOuterExpressions(expr.expression);
  return ts.isIdentifier(expr) && isRead(expr);
}

/** The read's fields a condition looks at: the last name of a member chain from it (`coupon.used`, `rows[0].available`), or a destructured name (`used`). */
function collectFields(node: ts.Node, read: Taint, taints: Map<string, Taint[]>, into: Set<string>): void {
  const isRead = (n: ts.Node): boolean => ts.isIdentifier(n) && (taints.get(n.text) ?? []).some((t) => t.call === read.call);
  const go = (n: ts.Node): void => {
    if (isFunctionNode(n)) return;
    if (ts.isPropertyAccessExpression(n) && chainRootIsRead(n, isRead)) {
      if (n.name.text !== "length") into.add(n.name.text);
      return;
    }
    if (ts.isIdentifier(n) && isReference(n)) {
      const t = (taints.get(n.text) ?? []).find((t) => t.call === read.call);
      if (t?.field) into.add(t.field);
    }
    ts.forEachChild(n, go);
  };
  go(node);
}

function isEmptyValue(node: ts.Expression): boolean {
  const expr = skipOuterExpressions(node);
  return expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined") || (ts.isNumericLiteral(expr) && expr.text === "0");
}

/** Source ranges run when the condition is true and when it is false; a branch that leaves makes the rest of the block the other's. */
function regionsOf(node: ts.IfStatement | ts.ConditionalExpression): { whenTrue: [number, number][]; whenFalse: [number, number][] } {
  if (ts.isConditionalExpression(node)) return { whenTrue: [[node.whenTrue.getStart(), node.whenTrue.end]], whenFalse: [[node.whenFalse.getStart(), node.whenFalse.end]] };
  const whenTrue: [number, number][] = [[node.thenStatement.getStart(), node.thenStatement.end]];
  const whenFalse: [number, number][] = node.elseStatement ? [[node.elseStatement.getStart(), node.elseStatement.end]] : [];
  const rest = restOfBlock(node);
  if (rest) {
    if (leaves(node.thenStatement)) whenFalse.push(rest);
    if (node.elseStatement && leaves(node.elseStatement)) whenTrue.push(rest);
  }
  return { whenTrue, whenFalse };
}

function restOfBlock(statement: ts.Statement): [number, number] | undefined {
  const parent = statement.parent;
  return ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent) ? [statement.end, parent.end] : undefined;
}

function leaves(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement) || ts.isThrowStatement(statement) || ts.isBreakStatement(statement) || ts.isContinueStatement(statement)) return true;
  if (ts.isBlock(statement)) {
    const last = statement.statements[statement.statements.length - 1];
    return last !== undefined && leaves(last);
  }
  if (ts.isIfStatement(statement)) return statement.elseStatement !== undefined && leaves(statement.thenStatement) && leaves(statement.elseStatement);
  return false;
}

/**
 * The reads a write's value is computed from: an argument that does arithmetic on, or spreads, a read value
 * (`balance: acc.balance - amount`, `[...list, item]`); or a read row passed back after a field of it was
 * recomputed (`entity.n += 1; save(entity)`).
 */
function computedFrom(call: ts.CallExpression, unit: FunctionUnit, taints: Map<string, Taint[]>, taintsIn: (node: ts.Node) => Taint[]): Taint[] {
  const found: Taint[] = [];
  const derives = (node: ts.Node): void => {
    if (isFunctionNode(node)) return;
    const expr = node as ts.Expression;
    const arithmetic = ts.isBinaryExpression(expr) && [ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken].includes(expr.operatorToken.kind);
    if (arithmetic || ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) {
      const from = taintsIn(node);
      if (from.length > 0) {
        found.push(...from);
        return;
      }
    }
    // `where: { id: user.id }` names the row, it does not compute its value.
    if (ts.isPropertyAssignment(node) && /^(where|select|include|orderBy|id)$/.test(propertyNameText(node.name))) return;
    ts.forEachChild(node, derives);
  };
  const args = chainArguments(call);
  for (const arg of args) derives(arg);
  // The row passed back (`save(row)`), or the row the write is called on (`row.save()`).
  const callee = skipOuterExpressions(call.expression);
  const receiver = ts.isPropertyAccessExpression(callee) ? [callee.expression] : [];
  for (const arg of [...args, ...receiver]) {
    const expr = skipOuterExpressions(arg);
    if (!ts.isIdentifier(expr)) continue;
    const rows = (taints.get(expr.text) ?? []).filter((t) => t.pos <= call.getStart());
    if (rows.length === 0) continue;
    walk(unit.node, (node) => {
      if (node.getStart() >= call.getStart() || node.getStart() < rows[0]!.pos) return;
      if (recomputesField(node, expr.text, taintsIn)) found.push(...rows);
    });
  }
  return found;
}

/** `row.f = <arithmetic on the read>`, `row.f += n`, `row.f++`, `row.list.push(x)`. */
function recomputesField(node: ts.Node, row: string, taintsIn: (node: ts.Node) => Taint[]): boolean {
  const onRow = (target: ts.Expression): boolean => {
    const expr = skipOuterExpressions(target);
    return ts.isPropertyAccessExpression(expr) && ts.isIdentifier(skipOuterExpressions(expr.expression)) && (skipOuterExpressions(expr.expression) as ts.Identifier).text === row;
  };
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if ((op === ts.SyntaxKind.PlusEqualsToken || op === ts.SyntaxKind.MinusEqualsToken || op === ts.SyntaxKind.AsteriskEqualsToken) && onRow(node.left)) return true;
    // `row.items = row.items.filter(…)`, `row.n = row.n + 1`: the field's new value is computed from its old one
    // (a derived field recomputed from others, `doc.text = serialize(doc.content)`, loses nothing).
    if (op === ts.SyntaxKind.EqualsToken && onRow(node.left)) {
      const field = (skipOuterExpressions(node.left) as ts.PropertyAccessExpression).name.text;
      const right = skipOuterExpressions(node.right);
      return !ts.isIdentifier(right) && !ts.isPropertyAccessExpression(right) && taintsIn(right).length > 0 && readsField(right, row, field);
    }
  }
  if ((ts.isPostfixUnaryExpression(node) || ts.isPrefixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) return onRow(node.operand);
  if (ts.isCallExpression(node)) {
    const callee = skipOuterExpressions(node.expression);
    return ts.isPropertyAccessExpression(callee) && /^(push|splice|unshift|pop|shift)$/.test(callee.name.text) && onRow(callee.expression);
  }
  return false;
}

/** Reads an insert takes its next number from: a property `f: <arithmetic on the read's f, or on a read value>` (`number: last.number + 1`, `seq: count + 1`). */
function nextNumberFrom(call: ts.CallExpression, taints: Map<string, Taint[]>): Taint[] {
  const found: Taint[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionNode(node)) return;
    if (ts.isPropertyAssignment(node)) {
      const name = propertyNameText(node.name);
      const value = skipOuterExpressions(node.initializer);
      if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        for (const side of [value.left, value.right]) {
          const expr = skipOuterExpressions(side);
          if (ts.isPropertyAccessExpression(expr) && expr.name.text === name && ts.isIdentifier(skipOuterExpressions(expr.expression))) {
            found.push(...(taints.get((skipOuterExpressions(expr.expression) as ts.Identifier).text) ?? []).filter((t) => t.field === undefined));
          } else if (ts.isIdentifier(expr)) {
            found.push(...(taints.get(expr.text) ?? []).filter((t) => t.field === undefined || t.field === name));
          }
        }
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const arg of chainArguments(call)) visit(arg);
  return found.filter((t) => t.pos <= call.getStart());
}

/** The unique constraint decides an insert whose caller catches its violation (Prisma P2002, PostgreSQL 23505, MySQL ER_DUP_ENTRY). */
const UNIQUE_VIOLATION = /P2002|23505|ER_DUP_ENTRY|11000|UniqueConstraint|unique.?violation|duplicate.?key/i;

function catchesUniqueViolation(call: ts.Node): boolean {
  for (let node: ts.Node = call; !isFunctionNode(node) && !ts.isSourceFile(node); node = node.parent) {
    const parent = node.parent;
    if (ts.isTryStatement(parent) && parent.tryBlock === node && parent.catchClause && UNIQUE_VIOLATION.test(parent.catchClause.block.getText())) return true;
  }
  return false;
}

/** The calls a chained call is made on (`a().b()` → `a()`). */
function innerCalls(call: ts.Node): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  let node: ts.Node = call;
  while (ts.isCallExpression(node) || ts.isPropertyAccessExpression(node) || ts.isAwaitExpression(node) || ts.isParenthesizedExpression(node)) {
    node = (node as ts.CallExpression).expression;
    if (ts.isCallExpression(node)) calls.push(node);
  }
  return calls;
}

/** The arguments of a call and of the calls chained on it (`insertInto(t).values({ … })`, `update(t).set({ … })`), where builders state what they write. */
function chainArguments(call: ts.CallExpression): ts.Expression[] {
  const args = [...call.arguments];
  let node: ts.Node = call;
  while (ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node && ts.isCallExpression(node.parent.parent) && node.parent.parent.expression === node.parent) {
    node = node.parent.parent;
    args.push(...(node as ts.CallExpression).arguments);
  }
  return args;
}

/** An `await` (or `yield`) of the unit between the end of one node and the start of another: where other requests can run. */
function awaitsBetween(unit: FunctionUnit, from: ts.Node, to: ts.Node): boolean {
  const start = Math.min(from.end, to.getStart());
  const end = to.getStart();
  let found = false;
  walk(unit.node, (node) => {
    if (!found && (ts.isAwaitExpression(node) || ts.isYieldExpression(node)) && node.getStart() >= start && node.getStart() < end) found = true;
  });
  // The read itself awaited inside the write's own expression (`set(k, (await get(k)) + 1)`) also yields between them.
  return found || (from.getStart() >= to.getStart() && from.end <= to.end && ts.isAwaitExpression(from.parent));
}

/** `Date.now()`, `new Date()`, `performance.now()`, `dayjs()`, or a name the function binds to one: the current time. */
function readsClock(node: ts.Node, unit: FunctionUnit): boolean {
  const clock = (n: ts.Node): boolean => (ts.isCallExpression(n) || ts.isNewExpression(n)) && /^(Date(\.now)?|performance\.now|dayjs|moment|DateTime\.now|Temporal\.Now\.\w+)$/.test(n.expression.getText());
  const names = new Set<string>();
  walk(unit.node, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && clock(skipOuterExpressions(n.initializer))) names.add(n.name.text);
  });
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFunctionNode(n)) return;
    if (clock(n) || (ts.isIdentifier(n) && names.has(n.text))) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** The expression reads `row.field` itself. */
function readsField(node: ts.Node, row: string, field: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(n) && n.name.text === field && ts.isIdentifier(skipOuterExpressions(n.expression)) && (skipOuterExpressions(n.expression) as ts.Identifier).text === row) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * Whether a read's result decides some write in the function, whatever the entities (`SELECT quantity FROM items` then
 * `INSERT INTO movements` when enough is left): an invariant across entities that a lock or transaction around it may be
 * what keeps, so such a scope is never called needless.
 */
export function decidesSomeWrite(unit: FunctionUnit, operations: readonly DetectedOperation[], opsAt: (call: ts.Node) => readonly number[]): boolean {
  const reads: ts.Node[] = [];
  const writes: ts.Node[] = [];
  for (const call of unit.calls) {
    const ops = opsAt(call);
    if (ops.some((i) => operations[i]!.operation.effect === "read")) reads.push(call);
    if (ops.some((i) => operations[i]!.operation.effect !== "read")) writes.push(call);
  }
  if (reads.length === 0 || writes.length === 0) return false;
  const names = new Set(reads.flatMap((call) => bindingOf(call).map((b) => b.name)));
  const mentionsName = (n: ts.Node): boolean => (ts.isIdentifier(n) && isReference(n) && names.has(n.text)) || (!isFunctionNode(n) && ts.forEachChild(n, mentionsName) === true);
  // Names derived from a read (`const ok = item !== null && item.quantity >= n`) decide as the read does.
  walk(unit.node, (node) => {
    if (ts.isVariableDeclaration(node) && node.initializer && mentionsName(node.initializer)) for (const { name } of namesOf(node.name)) names.add(name);
  });
  let decides = false;
  walk(unit.node, (node) => {
    if (decides) return;
    const condition = ts.isIfStatement(node) ? node.expression : ts.isConditionalExpression(node) ? node.condition : undefined;
    if (!condition) return;
    let involved = false;
    const visit = (n: ts.Node): void => {
      if (involved || isFunctionNode(n)) return;
      if ((ts.isIdentifier(n) && isReference(n) && names.has(n.text)) || reads.includes(n)) involved = true;
      else ts.forEachChild(n, visit);
    };
    visit(condition);
    if (!involved) return;
    const { whenTrue, whenFalse } = regionsOf(node as ts.IfStatement | ts.ConditionalExpression);
    decides = writes.some((w) => [...whenTrue, ...whenFalse].some(([a, b]) => w.getStart() >= a && w.getStart() < b));
  });
  return decides;
}
