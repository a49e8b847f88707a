import type { PlanName, RenderTenant, Scope } from '@flowsmith/contracts';

export interface KeyActor {
  kind: 'api_key';
  keyId: string;
  userId: string;
  organizationId: string | null;
  /** The organization if the key has one, else the user: what the key sees and spends from. */
  ownerId: string;
  plan: PlanName;
  scopes: ReadonlySet<Scope>;
  ip: string;
  /** Whom this request's renders are scheduled and charged as (libs/contracts/src/fairness.ts). */
  render: RenderTenant;
}

export interface AnonymousActor {
  kind: 'anonymous';
  ip: string;
  render: RenderTenant;
}

export type Actor = KeyActor | AnonymousActor;

/** Who is calling, before the guard has worked out whom their renders are scheduled as. */
export type Caller = Omit<KeyActor, 'render'> | Omit<AnonymousActor, 'render'>;

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}
