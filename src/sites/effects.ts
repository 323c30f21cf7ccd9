// Why each effect on state is, or is not, monotonic (SPECTRUM.md §2): the reason operations and non-monotonic sites state.
import type { OperationEffect } from "../model/report.js";
import type { LoadedRule } from "./rules.js";

export const EFFECT_REASONS: Record<OperationEffect, string> = {
  read: "a read: selection over the state, monotonic",
  insert: "an insert with a fresh id: new input only adds, monotonic",
  add: "a set add or append: monotonic",
  increment: "a commutative increment: the order of concurrent ones does not matter, monotonic",
  overwrite: "an overwrite: a later write retracts what an earlier one wrote, non-monotonic",
  delete: "a delete: a retraction, non-monotonic",
  upsert: "an insert that overwrites the row when it exists: a retraction then, non-monotonic",
  allocate: "takes the next number from the data (MAX + 1): two concurrent requests read the same one, non-monotonic",
};

/** The reason a non-monotonic site states: its rule's, or its effect's. */
export function siteReason(rule: LoadedRule): string {
  return rule.reason ?? EFFECT_REASONS[rule.effect ?? "overwrite"];
}
