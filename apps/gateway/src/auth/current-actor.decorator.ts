import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor, KeyActor } from './actor';

/** The authenticated key of a route that requires one (AccessGuard has already made sure). */
export const CurrentKey = createParamDecorator((_: unknown, context: ExecutionContext): KeyActor => {
  const actor = context.switchToHttp().getRequest<FastifyRequest>().actor;
  if (actor?.kind !== 'api_key') throw new Error('CurrentKey used on a route that admits anonymous callers');
  return actor;
});

/** The caller of a route that also admits anonymous callers. */
export const CurrentActor = createParamDecorator(
  (_: unknown, context: ExecutionContext): Actor => context.switchToHttp().getRequest<FastifyRequest>().actor!,
);
