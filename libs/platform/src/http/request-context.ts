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
export const MACHINE_KINDS = ['logger'] as const;
export type MachineKind = (typeof MACHINE_KINDS)[number];
export type AccessRule = { kind: 'public' } | { kind: 'roles'; roles: Role[] } | { kind: 'authenticated' } | { kind: 'machine'; machine: MachineKind };

/** A device that authenticates with its own key (never a person, never a session). */
export interface Machine {
  kind: MachineKind;
  id: string;
  code: string;
}

/** The roles that may call a route. A route without a rule is refused (default deny). */
export const Roles = (...roles: Role[]) => SetMetadata(ACCESS_RULE, { kind: 'roles', roles } satisfies AccessRule);
/** Anyone, signed in or not. */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);
/** Any signed-in user, whatever their role (own account, sign-out). */
export const AnyRole = () => SetMetadata(ACCESS_RULE, { kind: 'authenticated' } satisfies AccessRule);
/** Only a device of this kind with a valid key (e.g. `Authorization: Logger <key>`); user sessions are refused. */
export const MachineKey = (machine: MachineKind) => SetMetadata(ACCESS_RULE, { kind: 'machine', machine } satisfies AccessRule);

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor; machine?: Machine };

/** The device the access guard authenticated on a MachineKey route. */
export const CurrentMachine = createParamDecorator((_: unknown, context: ExecutionContext): Machine => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.machine) throw new Error('CurrentMachine used on a route without a MachineKey rule');
  return request.machine;
});

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.actor) throw new Error('Ctx used on a route without an authenticated actor');
  return { actor: request.actor, requestId: String(request.id) };
});
