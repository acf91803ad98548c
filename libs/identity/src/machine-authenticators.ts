import { Injectable } from '@nestjs/common';
import type { Machine, MachineKind } from '#platform';

/** Checks a device's Authorization header; throws a 401 DomainError when the key is missing, unknown or revoked. */
export type MachineAuthenticator = (authorization: unknown) => Promise<Machine>;

/**
 * The access guard's registry of device authenticators: the workflow area that owns a kind of
 * device (cold chain: temperature loggers) registers how its keys are checked, so the guard
 * authenticates MachineKey routes before any validation or work happens.
 */
@Injectable()
export class MachineAuthenticators {
  private readonly byKind = new Map<MachineKind, MachineAuthenticator>();

  register(kind: MachineKind, authenticator: MachineAuthenticator): void {
    if (this.byKind.has(kind)) throw new Error(`a machine authenticator for ${kind} is already registered`);
    this.byKind.set(kind, authenticator);
  }

  authenticate(kind: MachineKind, authorization: unknown): Promise<Machine> {
    const authenticator = this.byKind.get(kind);
    if (!authenticator) throw new Error(`no machine authenticator registered for ${kind}`);
    return authenticator(authorization);
  }
}
