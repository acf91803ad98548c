import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const ROLES = ['technician', 'qa_manager', 'admin', 'clinic'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting. Staff names appear in audit and signatures, never on public endpoints. */
export interface Actor {
  userId: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
  sessionId: string;
}

/** What every command carries into the domain: the actor and the request id for the audit trail. */
export interface CommandContext {
  actor: Actor;
  requestId: string;
}

/** Jobs act as the system, not as a person. */
export function systemContext(requestId: string): CommandContext {
  return { actor: { userId: '', displayName: 'system', role: 'admin', clinicId: null, sessionId: '' }, requestId };
}
export function isSystemActor(actor: Actor): boolean {
  return actor.userId === '';
}

export const ACCESS_RULE = 'exolot:access';
export type AccessRule = { kind: 'public' } | { kind: 'roles'; roles: Role[] } | { kind: 'authenticated' };

/** The roles that may call a route. A route without a rule is refused (default deny). */
export const Roles = (...roles: Role[]) => SetMetadata(ACCESS_RULE, { kind: 'roles', roles } satisfies AccessRule);
/** Anyone, signed in or not. */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);
/** Any signed-in user, whatever their role (own account, sign-out). */
export const AnyRole = () => SetMetadata(ACCESS_RULE, { kind: 'authenticated' } satisfies AccessRule);

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.actor) throw new Error('Ctx used on a route without an authenticated actor');
  return { actor: request.actor, requestId: String(request.id) };
});
