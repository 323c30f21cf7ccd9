// Route files outside Next.js's folders: `api/**/route.ts` exporting functions named after HTTP methods, the form several file-system routers share.
import path from "node:path";
import { exportedBindings, exportEntries, type FinderContext, type HandlerCandidate, type HandlerFinder, joinRoute } from "./finder.js";
import { bracketSegment, EXPORTED_METHODS, foldersBelow, ROUTE_FILE } from "./fs-routes.js";

export const apiRoute: HandlerFinder = {
  framework: "api-route",
  title: "API route files (`api/**/route.ts`)",
  modules: [],
  describe:
    "A `route.ts` (or `.js`, `.tsx`…) below a folder named `api` exporting GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS, named `METHOD /api/…` from the folders from the first `api` folder of the analysed path down: `[id]` → `:id`, `[[lang]]` → `:lang?`, `[...slug]` → `*`, route groups `(group)` dropped. Files inside a Next.js `app/` or `pages/api/` folder are left to the Next.js finder, which decides whether they are routed; a `route.ts` with no `api` folder above it is not a handler.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      const fileName = scan.sourceFile.fileName;
      if (!ROUTE_FILE.test(path.posix.basename(fileName))) continue;
      if (foldersBelow(index, fileName, ["app"]) !== undefined || foldersBelow(index, fileName, ["pages", "api"]) !== undefined) continue;
      const folders = index.code.relative(fileName).split("/").slice(0, -1);
      const api = folders.indexOf("api");
      if (api < 0) continue;
      const route = joinRoute(...folders.slice(api).map(bracketSegment));
      for (const binding of exportedBindings(scan.sourceFile)) {
        if (!EXPORTED_METHODS.has(binding.name)) continue;
        out.push({ name: `${binding.name} ${route}`, framework: "api-route", node: binding.nameNode, entries: exportEntries(resolver, binding) });
      }
    }
    return out;
  },
};
