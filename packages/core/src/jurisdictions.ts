/** ISO 3166-1 alpha-2 codes of the jurisdictions regwatch watches, plus `EU` and `WA` (Wassenaar Arrangement). */
export const JURISDICTIONS = {
  US: "United States",
  GB: "United Kingdom",
  FR: "France",
  CA: "Canada",
  IT: "Italy",
  ES: "Spain",
  AU: "Australia",
  NL: "Netherlands",
  JP: "Japan",
  FI: "Finland",
  NO: "Norway",
  EU: "European Union",
  WA: "Wassenaar Arrangement",
} as const;

export type Jurisdiction = keyof typeof JURISDICTIONS;

export const JURISDICTION_CODES = Object.keys(JURISDICTIONS) as [Jurisdiction, ...Jurisdiction[]];
