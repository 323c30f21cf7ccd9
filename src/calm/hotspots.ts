// Hot spots (SPECTRUM.md §5): every resource a lock, lease, counter or sequence site coordinates on, with the handlers that go through it.
import { compareLocations, type Handler, type Hotspot } from "../model/report.js";
import type { DetectedSite } from "../sites/detect.js";

const COORDINATING_KINDS = new Set(["lock", "local-lock", "consensus", "lease", "leader", "batch-alloc", "row-lock"]);

/** `wrapped`: primitives inside project wrappers, reported where the wrapper is used with the key its caller passes. */
export function hotspotsOf(sites: readonly DetectedSite[], handlers: readonly Handler[], wrapped: ReadonlySet<number>): Hotspot[] {
  const byResource = new Map<string, Hotspot>();
  const atSite = new Map<string, Hotspot>();
  sites.forEach(({ site }, index) => {
    if (!site.resource || !COORDINATING_KINDS.has(site.kind) || wrapped.has(index)) return;
    // A key built from the request is a resource per function that builds it: two local `lockKey`s are two resources.
    const key = site.resource.constant ? `c\u0000${site.resource.expression}` : `v\u0000${site.resource.expression}\u0000${site.file}\u0000${site.function}`;
    let spot = byResource.get(key);
    if (!spot) byResource.set(key, (spot = { resource: site.resource.expression, constant: site.resource.constant, sites: [], handlers: [] }));
    spot.sites.push({ file: site.file, line: site.line, column: site.column, kind: site.kind, rule: site.rule, api: site.api });
    atSite.set(`${site.file}:${site.line}:${site.column}:${site.rule}`, spot);
  });
  for (const handler of handlers) {
    for (const evidence of handler.evidence) {
      const spot = atSite.get(`${evidence.file}:${evidence.line}:${evidence.column}:${evidence.rule}`);
      if (spot && !spot.handlers.includes(handler.id)) spot.handlers.push(handler.id);
    }
  }
  const spots = [...byResource.values()];
  for (const spot of spots) {
    spot.sites.sort((a, b) => compareLocations({ ...a, name: a.rule }, { ...b, name: b.rule }));
    spot.handlers.sort();
  }
  return spots.sort((a, b) => compareLocations({ ...a.sites[0]!, name: a.resource }, { ...b.sites[0]!, name: b.resource }));
}
