// Public API: analyze() and the formatters, with the report types. Nothing else is part of the contract.
export { analyze, VERSION, type AnalyzeOptions } from "./analyze.js";
export { CONFIG_FILE_NAMES, type CoordlintConfig } from "./config/config.js";
export { CoordlintError, type ErrorCategory } from "./model/errors.js";
export { FORMATTERS } from "./report/table.js";
export type { Formatter, FormatterContext } from "./report/formatter.js";
export {
  AMORTISATIONS,
  ANOMALIES,
  CALM_VERDICTS,
  COST,
  FINDING_RULES,
  KIND_CLASS,
  OPERATION_EFFECTS,
  SITE_KINDS,
  SPECTRUM_CLASSES,
  isActive,
  type Amortisation,
  type Anomaly,
  type CalmVerdict,
  type Diagnostic,
  type Evidence,
  type Finding,
  type Handler,
  type Hotspot,
  type Location,
  type Operation,
  type OperationEffect,
  type PathStep,
  type RelatedLocation,
  type Report,
  type Resource,
  type Severity,
  type Site,
  type SiteKind,
  type SpectrumClass,
  type Summary,
  type Suppression,
  type UnresolvedCall,
} from "./model/report.js";
