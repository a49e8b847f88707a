import { DEFAULT_PLAN_LIMITS, isPlanName, PlanLimits, PlanName } from '@flowsmith/contracts';

const FIELDS: Record<keyof PlanLimits, (value: unknown) => boolean> = {
  exports_per_month: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0),
  ai_enabled: (v) => typeof v === 'boolean',
  ai_per_month: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0),
  shares: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0),
  max_png_scale: (v) => v === 1 || v === 2 || v === 4,
  renders_in_flight: (v) => Number.isInteger(v) && (v as number) >= 1,
};

/**
 * The plan table: docs/api.md's defaults, with any cells overridden by the PLANS variable, e.g.
 * `{"pro":{"exports_per_month":500}}`. Returns an error message instead of throwing so that the
 * env validator can report it against the variable's name.
 */
export function parsePlanTable(raw: string | undefined): Record<PlanName, PlanLimits> | string {
  const table = structuredClone(DEFAULT_PLAN_LIMITS);
  if (!raw) return table;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'must be JSON, e.g. {"pro":{"exports_per_month":500}}';
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'must be a JSON object keyed by plan';
  for (const [plan, cells] of Object.entries(parsed)) {
    if (!isPlanName(plan)) return `names an unknown plan "${plan}" (plans: ${Object.keys(table).join(', ')})`;
    if (!cells || typeof cells !== 'object') return `plan "${plan}" must be an object`;
    for (const [field, value] of Object.entries(cells)) {
      const check = FIELDS[field as keyof PlanLimits];
      if (!check) return `plan "${plan}" has an unknown field "${field}"`;
      if (!check(value)) return `plan "${plan}" has an invalid ${field}: ${JSON.stringify(value)}`;
      (table[plan] as unknown as Record<string, unknown>)[field] = value;
    }
  }
  return table;
}
