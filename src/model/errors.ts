// Errors a user can act on: one line, exit code 2 at the CLI. Analysed-file problems are diagnostics, not errors.

export type ErrorCategory = "usage" | "config" | "project";

export class CoordlintError extends Error {
  readonly category: ErrorCategory;
  readonly exitCode = 2;

  constructor(category: ErrorCategory, message: string) {
    super(message);
    this.name = "CoordlintError";
    this.category = category;
  }
}
