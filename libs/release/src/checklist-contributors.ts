import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ChecklistLine } from './checklist.js';

export type ChecklistContributor = (em: EntityManager, batchId: string) => Promise<ChecklistLine[]>;

/**
 * Later workflow steps add release-checklist lines (e.g. storage: "no unresolved cold-chain
 * excursion") by registering a contributor in onModuleInit. Contributors run inside the gate's
 * transaction and must only read.
 */
@Injectable()
export class ChecklistContributors {
  private readonly contributors = new Map<string, ChecklistContributor>();

  register(name: string, contributor: ChecklistContributor): void {
    this.contributors.set(name, contributor);
  }

  async lines(em: EntityManager, batchId: string): Promise<ChecklistLine[]> {
    const out: ChecklistLine[] = [];
    for (const name of [...this.contributors.keys()].sort()) out.push(...(await this.contributors.get(name)!(em, batchId)));
    return out;
  }
}
