// The findings CALM, HAT and harvest/yield give (SPECTRUM.md §2–4): races, coordination that buys nothing, HAT-unavailable isolation, fan-out over every shard.
import { ts } from "ts-morph";
import type { Anomaly, Finding, Handler, Location, RelatedLocation } from "../model/report.js";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { FunctionUnit } from "../scan/units.js";
import type { DetectedSite } from "../sites/detect.js";
import type { DetectedOperation } from "../sites/operations.js";
import { positionOf } from "../scan/units.js";
import type { CalmInput, CalmView } from "./view.js";
import type { CheckThenAct } from "./decisions.js";
import { covers, GUARD, type GuardLevel, type GuardScope } from "./scopes.js";

const UNAVAILABLE_LEVELS = new Set(["SERIALIZABLE", "REPEATABLE READ", "SNAPSHOT"]);

const ADVICE: Record<Anomaly, string> = {
  duplicate: "Let a unique constraint decide (INSERT … ON CONFLICT DO NOTHING, or catch the unique violation), write only if absent in one command (an upsert, SET NX, attribute_not_exists), or take a lock on the key.",
  "double spend": "Put the check in the write (UPDATE … SET balance = balance - $1 WHERE id = $2 AND balance >= $1, a ConditionExpression, a Lua script), or hold a row lock (SELECT … FOR UPDATE) or a lock on the key across the read and the write.",
  oversell: "Put the check in the write (UPDATE … SET stock = stock - $1 WHERE id = $2 AND stock >= $1, a ConditionExpression, a Lua script), or hold a row lock (SELECT … FOR UPDATE) or a lock on the key across the read and the write.",
  "lost update": "Make the write relative (an increment, SET n = n + $1, $inc, INCR) or conditional (WHERE version = $1, a compare-and-set, WATCH/MULTI), or hold a row lock (SELECT … FOR UPDATE) or a lock on the key across the read and the write.",
};

const MEMORY_ADVICE = "Keep the state in a shared store and check and write it in one command (Redis INCR or a Lua script, a conditional UPDATE), or hold an in-process lock across the check and the write if one instance is all there will ever be.";

const CONSEQUENCE: Record<Anomaly, string> = {
  duplicate: "two concurrent requests can both find nothing and both write (duplicate)",
  "double spend": "two concurrent requests can both pass the check and both spend (double spend)",
  oversell: "two concurrent requests can both pass the check and both take the last units (oversell)",
  "lost update": "a concurrent request's write between the read and the write is overwritten (lost update)",
};

/** One race finding per write: every read that decides it, the checks, and the operations behind the calls. */
export function raceFinding(
  group: { decision: CheckThenAct; handlers: string[]; level: GuardLevel }[],
  operations: readonly DetectedOperation[],
  relative: (fileName: string) => string,
  /** A function's name in reports: an anonymous handler function takes the handler's. */
  nameOf: (unit: FunctionUnit) => string,
): Finding {
  const first = group[0]!.decision;
  const writeOp = operations[first.writeOps[0]!]!.operation;
  const at = locationOf(calleeName(first.write), relative);
  const relatedLocations = new Map<string, RelatedLocation>();
  const add = (location: Location, message: string): void => {
    const key = `${location.file}:${location.line}:${location.column}`;
    if (!relatedLocations.has(key) && key !== `${at.file}:${at.line}:${at.column}`) relatedLocations.set(key, related(location, message));
  };
  for (const { decision } of group) {
    if (decision.read !== decision.write) add(locationOf(calleeName(decision.read), relative), `reads ${decision.entity}`);
    if (decision.check) add(locationOf(decision.check, relative), "decides on what was read");
    for (const r of decision.readOps) add(operations[r]!.operation, `${operations[r]!.operation.api}: the read`);
    for (const w of decision.writeOps) add(operations[w]!.operation, `${operations[w]!.operation.api}: the write`);
  }
  const memory = group.some((g) => [...g.decision.readOps, ...g.decision.writeOps].some((i) => operations[i]!.operation.rule.startsWith("memory/")));
  const reads = [...new Set(group.flatMap((g) => g.decision.readOps.map((r) => `${operations[r]!.operation.api} (${operations[r]!.operation.file}:${operations[r]!.operation.line})`)))];
  const anomaly = first.anomaly;
  const weakest = Math.min(...group.map((g) => g.level));
  const tooWeak =
    weakest === GUARD.readCommitted
      ? " The transaction around them runs at READ COMMITTED (the default when none is stated), which lets both requests read before either writes."
      : weakest === GUARD.repeatableRead
        ? " REPEATABLE READ does not stop it: when nothing was found there is no row for the two transactions to conflict on."
        : weakest === GUARD.serializable
          ? " A transaction does not guard state held in the process's own memory: only a lock does, and only within one instance."
          : "";
  const what =
    first.read === first.write
      ? `${writeOp.api} reads the highest number and writes the next one in one statement, with nothing making that atomic`
      : first.shape === "read-modify-write"
        ? `${writeOp.api} (${writeOp.file}:${writeOp.line}) writes ${first.entity} computed from ${reads.join(", ")}, with nothing making the read and the write atomic`
        : `${reads.join(", ")} decides ${writeOp.api} (${writeOp.file}:${writeOp.line}) on ${first.entity}, with nothing making the check and the write atomic`;
  return {
    rule: "calm/unguarded-non-monotonic",
    severity: "error",
    ...at,
    message: memory
      ? `${first.shape === "read-modify-write" ? "Read-modify-write" : "Check-then-act"} on state in process memory: ${what}; ${CONSEQUENCE[anomaly]}, and each instance of the service holds its own copy, so the check holds for one instance only. ${MEMORY_ADVICE}`
      : `${first.shape === "read-modify-write" ? "Read-modify-write" : "Check-then-act"}: ${what}; ${CONSEQUENCE[anomaly]}.${tooWeak} ${ADVICE[anomaly]}`,
    function: nameOf(first.unit),
    api: writeOp.api,
    handlers: [...new Set(group.flatMap((g) => g.handlers))].sort(),
    related: [...relatedLocations.values()].sort(byLocation),
    anomaly,
  };
}

/** Locks and transactions whose scope holds only monotonic operations (at least one write, no check-then-act, nothing unresolved). */
export function needlessScopes(input: CalmInput, view: CalmView, known: ScopeFacts, nameOf: (unit: FunctionUnit) => string): Finding[] {
  const { graph } = view;
  const { sites, operations } = input;
  const { scopes, ownOps, unresolvedIn, wrappedPrimitives: primitives } = known;
  const reaching = reachingSites(input.handlers);
  const findings: Finding[] = [];
  for (const list of scopes.values()) {
    for (const scope of list) {
      if (primitives.has(scope.site) || !scope.closed) continue;
      const inside = (pos: number): boolean => pos >= scope.from && pos < scope.to;
      const reached = new Map<number, FunctionUnit>();
      const work: FunctionUnit[] = [];
      const enter = (unit: FunctionUnit): void => {
        if (reached.has(unit.id) || unit === scope.unit) return;
        reached.set(unit.id, unit);
        work.push(unit);
      };
      if (scope.unit) for (const edge of graph.callees(scope.unit)) if (covers(scope, edge.call)) enter(edge.to);
      while (work.length > 0) for (const edge of graph.callees(work.pop()!)) enter(edge.to);
      const ops = [
        ...(ownOps.get(scope.unit?.id) ?? []).filter((i) => covers(scope, operations[i]!.node)),
        ...[...reached.keys()].flatMap((id) => ownOps.get(id) ?? []),
      ];
      const writes = ops.filter((i) => operations[i]!.operation.effect !== "read");
      if (writes.length === 0 || ops.some((i) => !operations[i]!.operation.monotonic)) continue;
      const decides =
        (scope.unit ? view.decisions(scope.unit).some((d) => inside(d.read.getStart()) || inside(d.write.getStart())) || view.decidesWrite(scope.unit) : false) ||
        [...reached.values()].some((u) => view.decisions(u).length > 0 || view.decidesWrite(u));
      const unresolved = (unresolvedIn.get(scope.unit?.id) ?? []).some(inside) || [...reached.keys()].some((id) => (unresolvedIn.get(id) ?? []).length > 0);
      if (decides || unresolved) continue;
      const site = sites[scope.site]!.site;
      const { listed, places } = contents(ops, operations);
      findings.push({
        rule: "calm/unneeded-coordination",
        severity: "warning",
        file: site.file,
        line: site.line,
        column: site.column,
        message: `This ${scope.transaction ? "transaction" : "lock"} (${site.api}) holds only monotonic operations (${listed}): CALM needs no coordination for them, so it buys nothing. Drop it and the handlers that reach it could be uncoordinated; keep it only if these writes must be all-or-nothing.`,
        function: scope.unit ? nameOf(scope.unit) : site.function,
        api: site.api,
        handlers: reaching.get(siteKey(site)) ?? [],
        related: places,
      });
    }
  }
  return findings;
}

/** A lock or transaction middleware whose handlers all run only monotonic operations (at least one write), found at its use. */
export function needlessMiddleware(use: DetectedSite, handlers: readonly string[], reached: readonly number[], operations: readonly DetectedOperation[]): Finding | undefined {
  if (!reached.some((i) => operations[i]!.operation.effect !== "read")) return undefined;
  const { site } = use;
  const { listed, places } = contents(reached, operations);
  return {
    rule: "calm/unneeded-coordination",
    severity: "warning",
    file: site.file,
    line: site.line,
    column: site.column,
    message: `This ${site.kind === "transaction" ? "transaction" : "lock"} middleware (${site.api}) wraps handlers that run only monotonic operations (${listed}): CALM needs no coordination for them, so it buys nothing. Take it off these routes and they could be uncoordinated; keep it only if their writes must be all-or-nothing.`,
    function: site.function,
    api: site.api,
    handlers: [...new Set(handlers)].sort(),
    related: places,
  };
}

/** What facts needless-scope findings read, computed once by the CALM stage. */
export interface ScopeFacts {
  scopes: ReadonlyMap<number | undefined, GuardScope[]>;
  ownOps: ReadonlyMap<number | undefined, number[]>;
  /** Positions of unresolved calls, by unit id. */
  unresolvedIn: ReadonlyMap<number | undefined, number[]>;
  /** Sites inside project wrappers: their uses stand for them. */
  wrappedPrimitives: ReadonlySet<number>;
}

/** A needless scope's operations: the list its message names (four at most) and one related location each. */
function contents(ops: readonly number[], operations: readonly DetectedOperation[]): { listed: string; places: RelatedLocation[] } {
  const kinds = [...new Set(ops.map((i) => describe(operations[i]!)))].sort();
  const listed = kinds.length > 4 ? `${kinds.slice(0, 4).join(", ")}, …` : kinds.join(", ");
  const byPlace = new Map(ops.map((i) => [`${operations[i]!.operation.file}:${operations[i]!.operation.line}:${operations[i]!.operation.column}`, related(operations[i]!.operation, describe(operations[i]!))]));
  return { listed, places: [...byPlace.values()].sort(byLocation) };
}

/** HAT-unavailable isolation levels and fan-out over every shard, read off the sites. */
export function siteFindings(input: CalmInput, wrapped: ReadonlySet<number>, nameOf: (unit: FunctionUnit) => string): Finding[] {
  const reaching = reachingSites(input.handlers);
  const findings: Finding[] = [];
  // A primitive inside a project wrapper is reported at the wrapper's uses, which carry its isolation.
  for (const [index, { site, rule, unit }] of input.sites.entries()) {
    if (wrapped.has(index)) continue;
    const base = { file: site.file, line: site.line, column: site.column, function: unit ? nameOf(unit) : site.function, api: site.api, handlers: reaching.get(siteKey(site)) ?? [], related: [] };
    if (site.isolation && UNAVAILABLE_LEVELS.has(site.isolation)) {
      findings.push({
        rule: "hat/unavailable-isolation",
        severity: "warning",
        ...base,
        message: `${site.isolation} isolation cannot be highly available (HAT, Bailis et al., VLDB 2014): its transactions must wait or abort when replicas cannot reach each other. Use READ COMMITTED with the guard the logic needs (a conditional write, a row lock) where the logic allows it.`,
      });
    }
    if (site.kind === "fanout" && rule.harvest === "all-shards") {
      findings.push({
        rule: "fanout/all-shards",
        severity: "warning",
        ...base,
        message: `${site.api} waits for every shard: O(N) work per request, and one slow or failed shard fails the whole request. Route the request to the shard that owns its key, or answer from the shards that reply (Promise.allSettled with per-shard timeouts) if a partial answer is acceptable.`,
      });
    }
    if (site.kind === "fanout" && rule.harvest === "partial-results") {
      findings.push({
        rule: "fanout/partial-results",
        severity: "warning",
        ...base,
        message: `${site.api} over every shard answers with those that reply: harvest traded for yield, still O(N) work per request. Make sure callers can tell a partial answer from a complete one.`,
      });
    }
  }
  return findings;
}

function describe(detected: DetectedOperation): string {
  const { effect, entity } = detected.operation;
  return entity ? `${effect} ${entity}` : effect;
}

function siteKey(location: Location & { rule: string }): string {
  return `${location.file}:${location.line}:${location.column}:${location.rule}`;
}

/** Per site, the handlers whose evidence holds it. */
function reachingSites(handlers: readonly Handler[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const handler of handlers) {
    for (const evidence of handler.evidence) {
      const key = siteKey(evidence);
      const list = map.get(key) ?? [];
      if (!list.includes(handler.id)) list.push(handler.id);
      map.set(key, list);
    }
  }
  for (const list of map.values()) list.sort();
  return map;
}

function byLocation(a: Location, b: Location): number {
  return a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column;
}

/** A call is located at its member name (`create` in `this.users.create(…)`), as sites are. */
function calleeName(node: ts.Node): ts.Node {
  if (!ts.isCallExpression(node)) return node;
  const callee = skipOuterExpressions(node.expression);
  return ts.isPropertyAccessExpression(callee) ? callee.name : callee;
}

function locationOf(node: ts.Node, relative: (fileName: string) => string): Location {
  const sourceFile = node.getSourceFile();
  return { file: relative(sourceFile.fileName), ...positionOf(node, sourceFile) };
}

function related(location: Location, message: string): RelatedLocation {
  return { file: location.file, line: location.line, column: location.column, message };
}
