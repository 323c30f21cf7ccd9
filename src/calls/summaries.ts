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
  /** Item ids of unresolved calls start here. */
  firstUnresolved: number;
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

  const summaries = new Map<number, Map<number, Hop>>();
  const better = (a: Hop, b: Hop | undefined): boolean => !b || a.dist < b.dist || (a.dist === b.dist && a.pos < b.pos);

  const summarise = (component: FunctionUnit[]): void => {
    const inside = new Set(component.map((u) => u.id));
    for (const unit of component) {
      const map = new Map<number, Hop>();
      for (const item of own.get(unit.id) ?? []) {
        const r = items[item]!;
        map.set(item, { dist: 0, pos: r.pos, line: r.line, node: r.node, next: undefined, inline: false });
      }
      summaries.set(unit.id, map);
    }
    const relax = (unit: FunctionUnit, onlyInside: boolean): boolean => {
      const map = summaries.get(unit.id)!;
      let changed = false;
      for (const edge of edges.get(unit.id) ?? []) {
        if (inside.has(edge.to.id) !== onlyInside) continue;
        const target = summaries.get(edge.to.id);
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
    if (component.length > 1 || (edges.get(component[0]!.id) ?? []).some((e) => e.to === component[0])) {
      let changed = true;
      while (changed) {
        changed = false;
        for (const unit of component) if (relax(unit, true)) changed = true;
      }
    }
  };

  for (const component of stronglyConnected(index.units, edges)) summarise(component);

  return {
    items,
    firstUnresolved,
    reach: (unit) => summaries.get(unit.id) ?? new Map(),
    path(from, item) {
      const frames: PathFrame[] = [];
      let unit: FunctionUnit | undefined = from;
      let merge = false;
      const seen = new Set<number>();
      while (unit && !seen.has(unit.id)) {
        seen.add(unit.id);
        const hop: Hop | undefined = summaries.get(unit.id)?.get(item);
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
  };
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
