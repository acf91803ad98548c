import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule, type AuthenticatedRequest, DomainError } from '#platform';
import { MachineAuthenticators } from './machine-authenticators.js';
import { Sessions } from './sessions.service.js';

/** Reads the access rule of a route: the handler's, else its controller's; none means none. */
export function accessRuleOf(reflector: Reflector, handler: Function, controller: Function): AccessRule | undefined {
  return reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, controller]);
}

export function bearerToken(request: AuthenticatedRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * The global guard: default deny. A route must declare Public(), AnyRole(), Roles(...) or
 * MachineKey(...); otherwise nobody may call it. Signed-in callers are resolved from their session on every
 * request, so a role change, deactivation or logout takes effect at once.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: Sessions,
    private readonly machines: MachineAuthenticators,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = accessRuleOf(this.reflector, context.getHandler(), context.getClass());
    if (!rule || context.getType() !== 'http') {
      throw new DomainError('auth.no_access_rule', 'This route declares no access rule, so it is refused to everyone.');
    }
    if (rule.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (rule.kind === 'machine') {
      request.machine = await this.machines.authenticate(rule.machine, request.headers.authorization);
      return true;
    }
    const token = bearerToken(request);
    const actor = token ? await this.sessions.resolve(token) : null;
    if (!actor) throw new DomainError('auth.unauthenticated', 'Sign in first: the request has no valid session token (missing, expired or signed out).');
    if (rule.kind === 'roles' && !rule.roles.includes(actor.role)) {
      throw new DomainError('auth.forbidden', `The ${actor.role} role may not do this.`);
    }
    request.actor = actor;
    return true;
  }
}
