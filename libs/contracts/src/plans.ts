export const PLANS = ['free', 'pro', 'premium'] as const;
export type PlanName = (typeof PLANS)[number];

/** `null` means unlimited; `ai_per_month: 0` with `ai_enabled: false` means the plan may not generate. */
export interface PlanLimits {
  exports_per_month: number | null;
  ai_enabled: boolean;
  ai_per_month: number | null;
  shares: number | null;
  max_png_scale: 1 | 2 | 4;
  /** Renders an owner may have queued or running at once, over all its keys (libs/contracts/src/fairness.ts). */
  renders_in_flight: number;
}

/** docs/api.md's plan table. Operators override any cell with the PLANS env variable (JSON). */
export const DEFAULT_PLAN_LIMITS: Record<PlanName, PlanLimits> = {
  free: { exports_per_month: 3, ai_enabled: false, ai_per_month: 0, shares: 5, max_png_scale: 1, renders_in_flight: 4 },
  pro: { exports_per_month: 100, ai_enabled: true, ai_per_month: 100, shares: 100, max_png_scale: 2, renders_in_flight: 8 },
  premium: { exports_per_month: null, ai_enabled: true, ai_per_month: 500, shares: null, max_png_scale: 4, renders_in_flight: 16 },
};

export function isPlanName(value: unknown): value is PlanName {
  return typeof value === 'string' && (PLANS as readonly string[]).includes(value);
}
