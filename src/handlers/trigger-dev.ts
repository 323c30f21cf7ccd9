// trigger.dev: one handler per task made by `task({ id, run })`, `schemaTask({ id, schema, run })` or `schedules.task({ id, cron, run })`.
import { ts } from "ts-morph";
import { skipOuterExpressions } from "../scan/code-index.js";
import type { Resolver } from "../scan/resolve.js";
import type { FinderContext, HandlerCandidate, HandlerEntry, HandlerFinder } from "./finder.js";
import { memberEntry, memberOf, objectOf, valueOf } from "./options.js";
import { routePath } from "./route-tree.js";

const MODULES = ["@trigger.dev/sdk", "@trigger.dev/sdk/v3"];
const FACTORIES = ["task", "schemaTask", "schedules.task"];
/** The hooks that run around `run` for every run, in the order they run. */
const LIFECYCLE = ["middleware", "init", "onStartAttempt", "onStart", "run", "onSuccess", "onFailure", "catchError", "onComplete", "cleanup"];

export const triggerDev: HandlerFinder = {
  framework: "trigger.dev",
  title: "trigger.dev",
  modules: MODULES,
  describe:
    "`task({ id, run })`, `schemaTask({ id, schema, run })` and `schedules.task({ id, cron, run })` from `@trigger.dev/sdk` (or `@trigger.dev/sdk/v3`), named `trigger <id>` (a literal or const, else `*`) and located at the call. " +
    "The task's lifecycle hooks written in its options run with it, in this order: `middleware`, `init`, `onStartAttempt`, `onStart`, `run`, `onSuccess`, `onFailure`, `catchError`, `onComplete`, `cleanup`. A project function named `task` is not trigger.dev's.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || !isTaskFactory(resolver, call.expression)) continue;
        const options = objectOf(resolver, call.arguments[0]);
        if (!options || !memberOf(options, "run")) continue;
        const entries = LIFECYCLE.map((hook) => memberEntry(resolver, memberOf(options, hook))).filter((e): e is HandlerEntry => e !== undefined);
        out.push({ name: `trigger ${routePath(resolver, valueOf(options, "id")) || "*"}`, framework: "trigger.dev", node: call, entries });
      }
    }
    return out;
  },
};

/** trigger.dev's `task`, `schemaTask` or `schedules.task`, however imported. */
function isTaskFactory(resolver: Resolver, callee: ts.Expression): boolean {
  const expr = skipOuterExpressions(callee);
  if (!ts.isIdentifier(expr) && !ts.isPropertyAccessExpression(expr)) return false;
  return resolver.origins(expr).some((o) => MODULES.includes(o.module) && o.form === "value" && !o.typed && FACTORIES.includes(o.path));
}
