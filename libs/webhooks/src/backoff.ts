export interface RetrySchedule {
  /** The wait after the first failed attempt; each later wait doubles it. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
}

/**
 * The production schedule: 30 s, 1, 2, 4 ... 128 min, then every 4 h, so a delivery makes about
 * 14 attempts in its 24 hours (docs/webhooks.md, "Retries").
 */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { baseMs: 30_000, capMs: 4 * 3600_000 };

/** The wait before attempt `failedAttempts + 1`, without jitter. */
export function retryDelayMs(failedAttempts: number, schedule: RetrySchedule): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2 ** 60 ms is beyond any cap; past it the power is not exact, and need not be.
  return Math.min(schedule.capMs, schedule.baseMs * 2 ** Math.min(exponent, 60));
}

/**
 * The wait with ±10% jitter (`random` in [0, 1)), so the deliveries an endpoint's outage failed
 * together do not all come back at the same instant.
 */
export function jitteredDelayMs(failedAttempts: number, schedule: RetrySchedule, random: number = Math.random()): number {
  return Math.round(retryDelayMs(failedAttempts, schedule) * (0.9 + 0.2 * random));
}
