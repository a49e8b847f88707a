import type { PlanName, Scope } from '@flowsmith/contracts';

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
}

export interface AnonymousActor {
  kind: 'anonymous';
  ip: string;
}

export type Actor = KeyActor | AnonymousActor;

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}
