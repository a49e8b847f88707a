import { DEFAULT_PLAN_LIMITS } from '@flowsmith/contracts';
import type { Actor } from '../auth/actor';
import type { GatewayConfig } from '../common/gateway-config';
import { clampScale, exportFilename } from './render-options';

const config = { plans: DEFAULT_PLAN_LIMITS } as unknown as GatewayConfig;
const tenant = { kind: 'anonymous', id: '203.0.113.9' } as unknown as Actor['render'];
const key = (plan: 'free' | 'pro' | 'premium'): Actor => ({ kind: 'api_key', keyId: 'k', userId: 'u', organizationId: null, ownerId: 'u', plan, scopes: new Set(), ip: '203.0.113.9', render: tenant });
const anonymous: Actor = { kind: 'anonymous', ip: '203.0.113.9', render: tenant };

describe('clampScale', () => {
  it.each([
    ['free', 4, 1, true],
    ['pro', 4, 2, true],
    ['pro', 2, 2, false],
    ['premium', 4, 4, false],
    ['premium', 1, 1, false],
  ] as const)('a %s key asking for %i gets %i (clamped: %s)', (plan, requested, scale, clamped) => {
    expect(clampScale(requested, key(plan), config)).toEqual({ scale, clamped });
  });

  it('gives anonymous callers scale 1 whatever they ask', () => {
    expect(clampScale(2, anonymous, config)).toEqual({ scale: 1, clamped: true });
    expect(clampScale(1, anonymous, config)).toEqual({ scale: 1, clamped: false });
  });
});

describe('exportFilename', () => {
  it('names a file by diagram type and the source hash, the same source the same name', () => {
    const name = exportFilename('flowchart TD\n  A --> B', 'flowchart-v2', 'svg');
    expect(name).toMatch(/^diagram-flowchart-v2-[0-9a-f]{6}\.svg$/);
    expect(exportFilename('flowchart TD\n  A --> B', 'flowchart-v2', 'svg')).toBe(name);
    expect(exportFilename('graph', 'plantuml:sequence', 'png')).toMatch(/^diagram-plantuml-sequence-[0-9a-f]{6}\.png$/);
  });

  it("keeps the caller's name, adding the extension it lacks", () => {
    expect(exportFilename('x', 'pie', 'png', 'report')).toBe('report.png');
    expect(exportFilename('x', 'pie', 'png', 'Report.PNG')).toBe('Report.PNG');
  });
});
