import type { GatewayEnv } from '@flowsmith/config';
import { parsePlanTable } from '@flowsmith/config';
import type { PlanLimits, PlanName } from '@flowsmith/contracts';

/** This gateway's console (apps/gateway/src/console), where one signs in and gets a key. */
export const CONSOLE_PATH = '/console';

/** The gateway's validated environment, with the derived values computed once. */
export class GatewayConfig {
  readonly plans: Record<PlanName, PlanLimits>;
  readonly hints: { sign_up_url: string; docs_url: string };

  constructor(readonly env: GatewayEnv) {
    const plans = parsePlanTable(env.PLANS);
    if (typeof plans === 'string') throw new Error(`PLANS ${plans}`); // unreachable: validated at load
    this.plans = plans;
    this.hints = { sign_up_url: env.SIGN_UP_URL ?? CONSOLE_PATH, docs_url: env.DOCS_URL };
  }
}
