// BullMQ: one handler per `new Worker(queue, processor)`, running the processor (inline, a reference, or a sandboxed processor file's default export).
import path from "node:path";
import { ts } from "ts-morph";
import { skipOuterExpressions, type CodeIndex } from "../scan/code-index.js";
import { originMatches, type Resolver } from "../scan/resolve.js";
import { literalText, entryOf, type FinderContext, type HandlerCandidate, type HandlerEntry, type HandlerFinder } from "./finder.js";
import { nameText } from "./caller-values.js";

const MODULES = ["bullmq"];

export const bullmq: HandlerFinder = {
  framework: "bullmq",
  title: "BullMQ",
  modules: MODULES,
  describe:
    "`new Worker(queue, processor, opts)`, named `bullmq <queue>` (a literal or const queue name, else `*`) and located at `new`. A processor that switches on `job.name` is one handler: every case is on its path. A sandboxed processor given as a file (`path.join(__dirname, 'x.js')`, `new URL('./x.js', import.meta.url)`) runs that file's default export when it is an analysed source file; otherwise the handler is reported with no entries and counts the processor as unresolved. A worker with no processor (manual `getNextJob`) is no handler.",
  find(context: FinderContext) {
    const { index, resolver } = context;
    const out: HandlerCandidate[] = [];
    for (const scan of index.files) {
      for (const { node } of scan.calls) {
        if (!ts.isNewExpression(node) || !isWorkerClass(resolver, node.expression)) continue;
        const [queue, processor] = node.arguments ?? [];
        if (!processor || isAbsent(processor)) continue;
        const queueName = nameText(resolver, queue);
        out.push({ name: `bullmq ${queueName.text}`, framework: "bullmq", node, entries: [processorEntry(index, resolver, processor)], job: true, placeholders: queueName.placeholders });
      }
    }
    return out;
  },
};

/** BullMQ's own `Worker` class (a project subclass passes its arguments to `super`, where they cannot be read here). */
function isWorkerClass(resolver: Resolver, callee: ts.Expression): boolean {
  if (!originMatches(resolver.origins(callee), MODULES, { exports: ["Worker"], forms: ["value"] })) return false;
  return !resolver.declarationsOf(callee).some((d) => ts.isClassLike(d) && resolver.index.isAnalysed(d.getSourceFile().fileName));
}

function isAbsent(expression: ts.Expression): boolean {
  const expr = skipOuterExpressions(expression);
  return expr.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(expr) && expr.text === "undefined");
}

function processorEntry(index: CodeIndex, resolver: Resolver, processor: ts.Expression): HandlerEntry {
  const file = processorFile(resolver, processor);
  if (file === undefined) return entryOf(resolver, processor);
  if (file === "") return { expression: processor, units: [] };
  // The path names the compiled file; the analysed source sits beside it under a TypeScript extension.
  const base = file.replace(/\.[cm]?[jt]sx?$/, "");
  const scan = [file, ...[".ts", ".mts", ".cts", ".tsx"].map((ext) => base + ext)].map((f) => index.scanOf(f)).find((s) => s !== undefined);
  const exported = scan?.exports.get("default");
  const unit = exported && index.unitOf(exported);
  if (unit) return { expression: processor, units: [unit] };
  return { expression: processor, units: exported && ts.isExpression(exported) ? resolver.functionTargets(exported) : [] };
}

/**
 * The file a sandboxed processor names, when it is written relative to the worker's own file; `""` for a file
 * named some other way (a bare string is relative to the process's working directory), undefined when the
 * processor is not a file.
 */
function processorFile(resolver: Resolver, processor: ts.Expression): string | undefined {
  const expr = skipOuterExpressions(processor);
  const dir = path.dirname(expr.getSourceFile().fileName);
  if (ts.isNewExpression(expr) && ts.isIdentifier(expr.expression) && expr.expression.text === "URL") {
    const [relative, base] = expr.arguments ?? [];
    const text = literalText(relative);
    return text !== undefined && base && isImportMetaUrl(base) ? path.resolve(dir, text) : "";
  }
  if (ts.isCallExpression(expr)) {
    const callee = skipOuterExpressions(expr.expression);
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : "";
    if (name === "pathToFileURL" && expr.arguments[0]) return processorFile(resolver, expr.arguments[0]);
    if (name !== "join" && name !== "resolve") return undefined;
    if (!originMatches(resolver.origins(callee), ["path", "node:path"], { exports: ["join", "resolve", "default.join", "default.resolve"], forms: ["value"] })) return undefined;
    const [first, ...rest] = expr.arguments;
    const parts = rest.map((a) => literalText(a));
    if (!first || !isModuleDirectory(first) || parts.some((p) => p === undefined)) return "";
    return path.resolve(dir, ...(parts as string[]));
  }
  return ts.isStringLiteralLike(expr) || ts.isTemplateExpression(expr) ? "" : undefined;
}

function isModuleDirectory(expression: ts.Expression): boolean {
  const expr = skipOuterExpressions(expression);
  if (ts.isIdentifier(expr)) return expr.text === "__dirname";
  return ts.isPropertyAccessExpression(expr) && expr.name.text === "dirname" && ts.isMetaProperty(expr.expression);
}

function isImportMetaUrl(expression: ts.Expression): boolean {
  const expr = skipOuterExpressions(expression);
  return ts.isPropertyAccessExpression(expr) && expr.name.text === "url" && ts.isMetaProperty(expr.expression);
}
