// pg-boss: one handler per `boss.work(queue, [options,] handler)` on a `PgBoss` instance.
import { methodCalls, wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { originMatches } from "../scan/resolve.js";
import { nameText } from "./caller-values.js";

const MODULES = ["pg-boss"];

export const pgBoss: HandlerFinder = {
  framework: "pg-boss",
  title: "pg-boss",
  modules: MODULES,
  describe:
    "`boss.work(queue, handler)` and `boss.work(queue, options, handler)` on an instance of `PgBoss`, named `pg-boss <queue>` (a literal or const name, else `*`) and located at the `work(` call. Producers (`send`, `schedule`) are no handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const { call, callee } of methodCalls(index, new Set(["work"]))) {
      if (call.arguments.length < 2) continue;
      if (!originMatches(resolver.origins(callee.expression), MODULES, { exports: ["default", "PgBoss"], types: ["PgBoss"] })) continue;
      const handler = call.arguments[call.arguments.length - 1]!;
      const queue = nameText(resolver, call.arguments[0]);
      out.push({ name: `pg-boss ${queue.text}`, framework: "pg-boss", node: call, entries: wrappedEntries(resolver, handler), job: true, placeholders: queue.placeholders });
    }
    return out;
  },
};
