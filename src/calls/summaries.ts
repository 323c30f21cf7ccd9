// Follow calls: one memoised summary per function (what it reaches, by the shortest call path), computed over strongly connected components.
import { ts } from "ts-morph";
import type { CodeIndex } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import type { CallNode, FunctionUnit } from "../scan/units.js";

/** Something a function can reach: a coordination site, or a call nobody could resolve. */
export interface Reachable {
  unit: FunctionUnit | undefined;
  /** The site's node, or the unresolved call. */
  node: ts.Node;
  /** Source position in the unit's file (tie-breaker and evidence line). */
  pos: number;
  line: number;
}

interface Edge {
  to: FunctionUnit;
  call: ts.Node;
  /** A callback written inside the caller: merged into the caller's frame in evidence paths. */
  inline: boolean;
  /** An ORM hook the call runs: the ORM is no use site of a wrapper-shaped hook (middleware calling `next`), so nothing stays inside it. */
  hook?: boolean;
  line: number;
}

/** How a function reaches an item: in `dist` frames, continuing at `line` into `next` (undefined: the item is here). */
interface Hop {
  dist: number;
  pos: number;
  line: number;
  /** The call that continues the path here, or the item itself. */
  node: ts.Node;
  next: FunctionUnit | undefined;
  inline: boolean;
}

export interface PathFrame {
  unit: FunctionUnit;
  line: number;
  /** Each function the frame covers (itself and inline callbacks merged into it) with the call or site that leads on from it. */
  steps: { unit: FunctionUnit; node: ts.Node }[];
}

export interface CallGraph {
  /** Items reachable from a unit, with how far away they are. */
  reach(unit: FunctionUnit): ReadonlyMap<number, { dist: number }>;
  /** Frames from `from` to item `item` along the chosen shortest path (inline callbacks merged into their function). */
  path(from: FunctionUnit, item: number): PathFrame[];
  items: Reachable[];
  /** The functions a unit calls (inline callbacks it writes included), each with the call or callback node. */
  callees(unit: FunctionUnit): readonly { to: FunctionUnit; call: ts.Node; inline: boolean }[];
  /** Item ids of unresolved calls start here. */
  firstUnresolved: number;
  /**
   * The graph as one handler sees it when some calls run only the given functions on its path (one job type of a
   * consumer that dispatches over several; none for a call whose work runs elsewhere). Only the functions that
   * reach those calls are summarised again.
   */
  withTargets(targets: ReadonlyMap<ts.Node, readonly FunctionUnit[]>): CallGraph;
}

/**
 * @param siteItems the coordination sites, each with the unit it runs in; their ids are their indices.
 * @param contained per unit id, items that do not propagate to its callers (a wrapper's primitive: callers have a use site).
 * @param extraTargets per call, functions it runs besides its callee (the ORM hooks it triggers).
 */
export function buildCallGraph(
  index: CodeIndex,
  resolver: Resolver,
  siteItems: Reachable[],
  contained: ReadonlyMap<number, ReadonlySet<number>> = new Map(),
  extraTargets: ReadonlyMap<ts.Node, readonly FunctionUnit[]> = new Map(),
  /** Inline callbacks registered as handlers (`socket.on("x", async () => …)`): they run per event, not when the function registering them runs. */
  registered: ReadonlySet<number> = new Set(),
): CallGraph {
  const items: Reachable[] = [...siteItems];
  const firstUnresolved = items.length;
  const own = new Map<number, number[]>();
  const addOwn = (unit: FunctionUnit, item: number): void => {
    const list = own.get(unit.id);
    if (list) list.push(item);
    else own.set(unit.id, [item]);
  };
  siteItems.forEach((item, i) => item.unit && addOwn(item.unit, i));

  const edges = new Map<number, Edge[]>();
  for (const unit of index.units) {
    const list: Edge[] = [];
    for (const call of unit.calls) {
      const resolution = resolver.resolveCall(call as CallNode);
      if (resolution.kind === "code") {
        for (const to of resolution.units) if (to !== unit) list.push({ to, call, inline: false, line: lineOf(call) });
      } else if (resolution.kind === "unresolved") {
        const id = items.length;
        items.push({ unit, node: call, pos: call.getStart(), line: lineOf(call) });
        addOwn(unit, id);
      }
      for (const to of extraTargets.get(call) ?? []) if (to !== unit) list.push({ to, call, inline: false, hook: true, line: lineOf(call) });
    }
    for (const child of unit.children) if (child.inline && !registered.has(child.id)) list.push({ to: child, call: child.node, inline: true, line: lineOf(child.node) });
    edges.set(unit.id, list);
  }

  const better = (a: Hop, b: Hop | undefined): boolean => !b || a.dist < b.dist || (a.dist === b.dist && a.pos < b.pos);

  /** Summarise components (callees first) into `table`, reading callees outside it from `fallback`. */
  const summariser = (table: Map<number, Map<number, Hop>>, fallback: ReadonlyMap<number, Map<number, Hop>>, ownOf: (unit: FunctionUnit) => readonly number[], edgesOf: (unit: FunctionUnit) => readonly Edge[]) => (component: FunctionUnit[]): void => {
    const inside = new Set(component.map((u) => u.id));
    for (const unit of component) {
      const map = new Map<number, Hop>();
      for (const item of ownOf(unit)) {
        const r = items[item]!;
        map.set(item, { dist: 0, pos: r.pos, line: r.line, node: r.node, next: undefined, inline: false });
      }
      table.set(unit.id, map);
    }
    const relax = (unit: FunctionUnit, onlyInside: boolean): boolean => {
      const map = table.get(unit.id)!;
      let changed = false;
      for (const edge of edgesOf(unit)) {
        if (inside.has(edge.to.id) !== onlyInside) continue;
        const target = table.get(edge.to.id) ?? fallback.get(edge.to.id);
        if (!target) continue;
        const step = edge.inline ? 0 : 1;
        const pos = edge.call.getStart();
        const stays = edge.inline || edge.hook ? undefined : contained.get(edge.to.id);
        for (const [item, hop] of target) {
          if (stays?.has(item)) continue;
          const candidate: Hop = { dist: hop.dist + step, pos, line: edge.line, node: edge.call, next: edge.to, inline: edge.inline };
          if (better(candidate, map.get(item))) {
            map.set(item, candidate);
            changed = true;
          }
        }
      }
      return changed;
    };
    for (const unit of component) relax(unit, false);
    if (component.length > 1 || edgesOf(component[0]!).some((e) => e.to === component[0])) {
      let changed = true;
      while (changed) {
        changed = false;
        for (const unit of component) if (relax(unit, true)) changed = true;
      }
    }
  };

  const summaries = new Map<number, Map<number, Hop>>();
  const summarise = summariser(summaries, summaries, (unit) => own.get(unit.id) ?? [], (unit) => edges.get(unit.id) ?? []);
  for (const component of stronglyConnected(index.units, edges)) summarise(component);

  let callers: Map<number, FunctionUnit[]> | undefined;
  let unitOfCall: Map<ts.Node, FunctionUnit> | undefined;
  const withTargets = (targets: ReadonlyMap<ts.Node, readonly FunctionUnit[]>): CallGraph => {
    if (!callers || !unitOfCall) {
      callers = new Map();
      unitOfCall = new Map();
      for (const unit of index.units) {
        for (const call of unit.calls) unitOfCall.set(call, unit);
        for (const edge of edges.get(unit.id) ?? []) {
          const list = callers.get(edge.to.id);
          if (list) list.push(unit);
          else callers.set(edge.to.id, [unit]);
        }
      }
    }
    // Every function that reaches a changed call has a different summary; the rest keep theirs.
    const changed = new Map<number, FunctionUnit>();
    const work = [...targets.keys()].map((call) => unitOfCall!.get(call)).filter((u): u is FunctionUnit => u !== undefined);
    while (work.length > 0) {
      const unit = work.pop()!;
      if (changed.has(unit.id)) continue;
      changed.set(unit.id, unit);
      work.push(...(callers.get(unit.id) ?? []));
    }
    const viewEdges = new Map<number, Edge[]>();
    for (const unit of changed.values()) {
      const list = (edges.get(unit.id) ?? []).filter((e) => e.hook || e.inline || !targets.has(e.call));
      for (const call of unit.calls) for (const to of targets.get(call) ?? []) if (to !== unit) list.push({ to, call, inline: false, line: lineOf(call) });
      viewEdges.set(unit.id, list);
    }
    const view = new Map<number, Map<number, Hop>>();
    const summariseView = summariser(view, summaries, (unit) => (own.get(unit.id) ?? []).filter((item) => !targets.has(items[item]!.node)), (unit) => viewEdges.get(unit.id) ?? edges.get(unit.id) ?? []);
    const insideEdges = new Map([...viewEdges].map(([id, list]) => [id, list.filter((e) => changed.has(e.to.id))]));
    for (const component of stronglyConnected([...changed.values()], insideEdges)) summariseView(component);
    return graphOver((id) => view.get(id) ?? summaries.get(id), (id) => viewEdges.get(id) ?? edges.get(id) ?? []);
  };

  const graphOver = (summaryOf: (id: number) => Map<number, Hop> | undefined, edgesFor: (id: number) => readonly Edge[]): CallGraph => ({
    items,
    callees: (unit) => edgesFor(unit.id),
    firstUnresolved,
    withTargets,
    reach: (unit) => summaryOf(unit.id) ?? new Map(),
    path(from, item) {
      const frames: PathFrame[] = [];
      let unit: FunctionUnit | undefined = from;
      let merge = false;
      const seen = new Set<number>();
      while (unit && !seen.has(unit.id)) {
        seen.add(unit.id);
        const hop: Hop | undefined = summaryOf(unit.id)?.get(item);
        if (!hop) break;
        const line = hop.next ? hop.line : items[item]!.line;
        const last = frames[frames.length - 1];
        if (merge && last) {
          last.line = line;
          last.steps.push({ unit, node: hop.node });
        } else {
          frames.push({ unit, line, steps: [{ unit, node: hop.node }] });
        }
        merge = hop.inline;
        unit = hop.next;
      }
      return frames;
    },
  });
  return graphOver(
    (id) => summaries.get(id),
    (id) => edges.get(id) ?? [],
  );
}

/** Tarjan's algorithm, iterative; components come out callees first. */
function stronglyConnected(units: FunctionUnit[], edges: Map<number, Edge[]>): FunctionUnit[][] {
  const indexOf = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: FunctionUnit[] = [];
  const components: FunctionUnit[][] = [];
  let counter = 0;
  for (const start of units) {
    if (indexOf.has(start.id)) continue;
    const work: { unit: FunctionUnit; edge: number }[] = [{ unit: start, edge: 0 }];
    indexOf.set(start.id, counter);
    low.set(start.id, counter++);
    stack.push(start);
    onStack.add(start.id);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges.get(frame.unit.id) ?? [];
      if (frame.edge < out.length) {
        const next = out[frame.edge++]!.to;
        if (!indexOf.has(next.id)) {
          indexOf.set(next.id, counter);
          low.set(next.id, counter++);
          stack.push(next);
          onStack.add(next.id);
          work.push({ unit: next, edge: 0 });
        } else if (onStack.has(next.id)) {
          low.set(frame.unit.id, Math.min(low.get(frame.unit.id)!, indexOf.get(next.id)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.unit.id, Math.min(low.get(parent.unit.id)!, low.get(frame.unit.id)!));
      if (low.get(frame.unit.id) === indexOf.get(frame.unit.id)) {
        const component: FunctionUnit[] = [];
        let member: FunctionUnit;
        do {
          member = stack.pop()!;
          onStack.delete(member.id);
          component.push(member);
        } while (member !== frame.unit);
        components.push(component);
      }
    }
  }
  return components;
}

function lineOf(node: ts.Node): number {
  const sourceFile = node.getSourceFile();
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}
