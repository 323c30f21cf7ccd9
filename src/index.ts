// Public API: analyze() and the formatters, with the report types. Nothing else is part of the contract.
export { analyze, VERSION, type AnalyzeOptions } from "./analyze.js";
export { CoordlintError, type ErrorCategory } from "./model/errors.js";
export { FORMATTERS } from "./report/table.js";
export type { Formatter, FormatterContext } from "./report/formatter.js";
export {
  COST,
  KIND_CLASS,
  SITE_KINDS,
  SPECTRUM_CLASSES,
  type Diagnostic,
  type Evidence,
  type Finding,
  type Handler,
  type Location,
  type PathStep,
  type Report,
  type Resource,
  type Severity,
  type Site,
  type SiteKind,
  type SpectrumClass,
  type Summary,
  type UnresolvedCall,
} from "./model/report.js";
