import { providerBackoff } from './generation.processor';
import { ProviderError } from './providers/model-provider';

describe('providerBackoff', () => {
  it("waits what the provider's Retry-After said, at most a minute", () => {
    expect(providerBackoff(1, 'provider', new ProviderError('upstream_error', 'rate limited', true, 7000))).toBe(7000);
    expect(providerBackoff(1, 'provider', new ProviderError('upstream_error', 'rate limited', true, 600_000))).toBe(60_000);
  });

  it('otherwise backs off exponentially from one second with ±50% jitter, capped at a minute', () => {
    for (const [attempts, base] of [[1, 1000], [2, 2000], [3, 4000], [10, 60_000]] as const) {
      for (let i = 0; i < 50; i++) {
        const delay = providerBackoff(attempts, 'provider', new Error('overloaded'));
        expect(delay).toBeGreaterThanOrEqual(base * 0.5);
        expect(delay).toBeLessThanOrEqual(base * 1.5);
      }
    }
  });
});
