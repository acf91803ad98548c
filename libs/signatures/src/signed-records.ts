import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * Returns the current signable form of a record (plain JSON-able data), or null when there is
 * no such record. It must be deterministic: the same stored record gives the same value, since
 * its canonical JSON hash is compared with the hash stored at signing.
 */
export type SignedRecordLoader = (em: EntityManager, recordId: string) => Promise<unknown>;

const RECORD_TYPE = /^[a-z][a-z0-9_]{1,62}$/;

/** Where domain modules say how to load each kind of signed record (call register in onModuleInit). */
@Injectable()
export class SignedRecords {
  private readonly loaders = new Map<string, SignedRecordLoader>();

  register(recordType: string, loader: SignedRecordLoader): void {
    if (!RECORD_TYPE.test(recordType)) throw new Error(`invalid signed record type "${recordType}" (lower-case letters, digits, _)`);
    if (this.loaders.has(recordType) && this.loaders.get(recordType) !== loader) {
      throw new Error(`a loader for signed record type "${recordType}" is already registered`);
    }
    this.loaders.set(recordType, loader);
  }

  has(recordType: string): boolean {
    return this.loaders.has(recordType);
  }

  types(): string[] {
    return [...this.loaders.keys()].sort();
  }

  /** The current record, `null` when it no longer exists, `undefined` when the type has no loader. */
  async load(em: EntityManager, recordType: string, recordId: string): Promise<unknown> {
    const loader = this.loaders.get(recordType);
    if (!loader) return undefined;
    return (await loader(em, recordId)) ?? null;
  }
}
