// Google Cloud Functions: functions registered with the Functions Framework's `http(name, fn)` and `cloudEvent(name, fn)`.
import { ts } from "ts-morph";
import { originMatches } from "../scan/resolve.js";
import { wrappedEntries, type FinderContext, type HandlerCandidate, type HandlerFinder } from "./finder.js";
import { routePath } from "./route-tree.js";
import { isAppAdapter } from "./serverless.js";

const MODULES = ["@google-cloud/functions-framework"];

export const gcf: HandlerFinder = {
  framework: "gcf",
  title: "Google Cloud Functions (Functions Framework)",
  modules: MODULES,
  describe:
    "`functions.http(name, fn)` and `functions.cloudEvent(name, fn)` from @google-cloud/functions-framework (namespace or named imports, renamed or not), located at the call and named `gcf <name>` (a literal or constant; `*` otherwise). `functions.http(name, app)` with a web framework's app is not reported: the app's routes are the handlers.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node: call } of scan.calls) {
        if (!ts.isCallExpression(call) || call.arguments.length < 2) continue;
        if (!originMatches(resolver.origins(call.expression), MODULES, { exports: ["http", "cloudEvent", "default.http", "default.cloudEvent"], forms: ["value"] })) continue;
        const fn = call.arguments[1]!;
        if (isAppAdapter(resolver, fn)) continue;
        out.push({ name: `gcf ${routePath(resolver, call.arguments[0])}`, framework: "gcf", node: call, entries: wrappedEntries(resolver, fn).filter((e) => e.units.length > 0) });
      }
    }
    return out;
  },
};
