// The contract of an output format: a pure function from the report to text.
import type { Report } from "../model/report.js";

export interface FormatterContext {
  /** Whether ANSI colour may be used (machine formats ignore it). */
  color: boolean;
}

export type Formatter = (report: Report, context: FormatterContext) => string;
