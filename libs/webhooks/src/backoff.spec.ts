import { DEFAULT_RETRY_SCHEDULE, jitteredDelayMs, retryDelayMs } from './backoff';

describe('webhook retry schedule', () => {
  it('doubles from the base and stops at the cap', () => {
    const schedule = { baseMs: 100, capMs: 1000 };
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => retryDelayMs(n, schedule))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('makes about 14 attempts in the 24 hours of the production schedule', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelayMs(attempts, DEFAULT_RETRY_SCHEDULE) <= 24 * 3600_000) elapsed += retryDelayMs(attempts++, DEFAULT_RETRY_SCHEDULE);
    expect(attempts).toBe(14);
    expect(retryDelayMs(1, DEFAULT_RETRY_SCHEDULE)).toBe(30_000);
  });

  it('jitters by at most 10% either way', () => {
    const schedule = { baseMs: 1000, capMs: 60_000 };
    expect(jitteredDelayMs(3, schedule, 0)).toBe(3600);
    expect(jitteredDelayMs(3, schedule, 0.5)).toBe(4000);
    expect(jitteredDelayMs(3, schedule, 0.999999)).toBe(4400);
  });
});
