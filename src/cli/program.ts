// The command line: a thin commander shell over analyze() and the formatters; decides colour, output and the exit code.
import fs from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { applyBaseline, BASELINE_FILE, baselineOf, readBaseline, type Baseline } from "../gate/baseline.js";
import { analyze, CoordlintError, FORMATTERS, isActive, VERSION, type Report } from "../index.js";

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  cwd: string;
}

const EXAMPLES = `
Examples:
  $ coordlint                              analyse the service in the current directory
  $ coordlint services/orders              analyse one folder (its tsconfig.json is found)
  $ coordlint -p apps/api/tsconfig.json    analyse exactly what one tsconfig includes
  $ coordlint -c ci/coordlint.jsonc        use this configuration file (no discovery)
  $ coordlint -f json -o coordlint.json    write the JSON report to a file

Exit codes: 0 analysis completed with no errors, 1 error diagnostics, 2 usage or tool error.`;

/** Run the CLI; resolves to the exit code. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const program = new Command()
    .name("coordlint")
    .description("Find where each handler of a TypeScript service coordinates, and what that costs at scale.")
    .version(VERSION, "-v, --version")
    .argument("[paths...]", "files or directories to analyse (default: .)")
    .option("-p, --project <tsconfig>", "analyse the files of this tsconfig")
    .option("-c, --config <path>", "use this configuration file (default: coordlint.config.json or .jsonc in the analysed folder or above)")
    .option("--no-config", "use no configuration file")
    .addOption(new Option("-f, --format <name>", "output format").choices(Object.keys(FORMATTERS)).default("stylish"))
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option("--include-tests", "also analyse test files (*.test.ts, *.spec.ts, __tests__/, test/…)")
    .option("--quiet", "report errors only (hide warning findings and diagnostics)")
    .option("--baseline <file>", "the baseline whose findings do not fail the run (default: coordlint-baseline.json in the analysed root, when there is one)")
    .option("--no-baseline", "apply no baseline")
    .option("--write-baseline", "write today's findings to the baseline file, then exit 0")
    .option("--prune-baseline", "remove the baseline's entries that no longer occur, then exit 0")
    .option("--max-warnings <n>", "also exit 1 when there are more than n warning findings (suppressed ones do not count)", parseCount)
    .option("--color", "force colour")
    .option("--no-color", "disable colour")
    .option("--timing", "print the time each pipeline stage took (stderr)")
    .option("--debug", "print stack traces of internal errors")
    .addHelpText("after", EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(text) });

  let debug = false;
  try {
    program.parse(argv, { from: "user" });
    const options = program.opts<{
      project?: string;
      config?: string | false;
      format: string;
      output?: string;
      quiet?: boolean;
      maxWarnings?: number;
      /** A file, `false` (--no-baseline), or `true` when neither flag is given. */
      baseline?: string | boolean;
      writeBaseline?: boolean;
      pruneBaseline?: boolean;
      includeTests?: boolean;
      color?: boolean;
      timing?: boolean;
      debug?: boolean;
    }>();
    debug = options.debug === true;
    const timings: [string, number][] = [];
    // Writing or pruning the baseline needs the findings it would hide.
    const maintaining = options.writeBaseline === true || options.pruneBaseline === true;
    const report = await analyze({
      paths: program.args,
      project: options.project,
      configFile: options.config,
      cwd: io.cwd,
      includeTests: options.includeTests,
      baseline: maintaining ? false : options.baseline === true ? undefined : options.baseline,
      onStage: (name, ms) => timings.push([name, ms]),
    });
    if (maintaining) return maintainBaseline(report, options, io);
    if (options.timing) {
      const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
      io.stderr(["stage      ms      %", ...timings.map(([name, ms]) => `${name.padEnd(8)} ${ms.toFixed(0).padStart(6)}  ${((100 * ms) / total).toFixed(1).padStart(5)}`), `total    ${total.toFixed(0).padStart(6)}`].join("\n") + "\n");
    }
    const shown: Report = options.quiet
      ? { ...report, diagnostics: report.diagnostics.filter((d) => d.severity === "error"), findings: report.findings.filter((f) => f.severity === "error") }
      : report;
    const color = options.output === undefined && wantsColor(options.color, io);
    const text = FORMATTERS[options.format]!(shown, { color });
    if (options.output) {
      const target = path.resolve(io.cwd, options.output);
      try {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
      } catch (error) {
        throw new CoordlintError("usage", `Cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    } else {
      io.stdout(text);
    }
    // Error findings (a likely race) and error diagnostics fail the run, as ESLint's errors do.
    const active = report.findings.filter(isActive);
    const warnings = active.filter((f) => f.severity === "warning").length;
    const tooManyWarnings = options.maxWarnings !== undefined && warnings > options.maxWarnings;
    if (tooManyWarnings) io.stderr(`coordlint: ${warnings} warning finding${warnings === 1 ? "" : "s"}, more than --max-warnings ${options.maxWarnings}\n`);
    return report.diagnostics.some((d) => d.severity === "error") || active.some((f) => f.severity === "error") || tooManyWarnings ? 1 : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CoordlintError) {
      io.stderr(`coordlint: ${error.message}\n`);
      return 2;
    }
    io.stderr(`coordlint: internal error: ${(error as Error).message ?? String(error)}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr(error.stack + "\n");
    return 2;
  }
}

/** `--write-baseline` and `--prune-baseline`: write the file, say what was written, exit 0. */
function maintainBaseline(report: Report, options: { baseline?: string | boolean; writeBaseline?: boolean; pruneBaseline?: boolean }, io: CliIO): number {
  if (options.writeBaseline && options.pruneBaseline) throw new CoordlintError("usage", "--write-baseline and --prune-baseline cannot be used together");
  const file = typeof options.baseline === "string" ? path.resolve(io.cwd, options.baseline) : path.join(report.root, BASELINE_FILE);
  let baseline: Baseline;
  if (options.writeBaseline) {
    baseline = baselineOf(report.findings);
  } else {
    if (!fs.existsSync(file)) throw new CoordlintError("usage", `Cannot find baseline file: ${file}`);
    const before = readBaseline(file);
    baseline = applyBaseline(report.findings, before, file).pruned;
    const removed = Object.values(before.findings).reduce((n, e) => n + e.count, 0) - Object.values(baseline.findings).reduce((n, e) => n + e.count, 0);
    io.stderr(`coordlint: pruned ${removed} finding${removed === 1 ? "" : "s"} from ${file}\n`);
  }
  try {
    fs.writeFileSync(file, JSON.stringify(baseline, null, 2) + "\n");
  } catch (error) {
    throw new CoordlintError("usage", `Cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (options.writeBaseline) {
    const count = Object.values(baseline.findings).reduce((n, e) => n + e.count, 0);
    io.stderr(`coordlint: wrote ${count} finding${count === 1 ? "" : "s"} to ${file}\n`);
  }
  return 0;
}

/** A `--max-warnings` value: a whole number, 0 or more (commander reports the error as a usage error, exit 2). */
function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number, 0 or more");
  return Number(value);
}

/** `--color`/`--no-color` win; then NO_COLOR, then FORCE_COLOR, then whether stdout is a terminal. */
function wantsColor(flag: boolean | undefined, io: CliIO): boolean {
  if (flag !== undefined) return flag;
  if (io.env.NO_COLOR) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return io.isTTY;
}
