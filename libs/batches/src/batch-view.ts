import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type BatchSectionLoader = (em: EntityManager, batchIds: string[]) => Promise<Map<string, unknown>>;

/**
 * Workflow libraries contribute sections (harvest, isolation, ...) to the batch read model,
 * so batches depends on none of them. Loaders take many ids at once: no N+1 in lists.
 */
@Injectable()
export class BatchViewSections {
  private readonly loaders = new Map<string, BatchSectionLoader>();

  register(section: string, loader: BatchSectionLoader): void {
    this.loaders.set(section, loader);
  }

  async load(em: EntityManager, batchIds: string[]): Promise<Map<string, Record<string, unknown>>> {
    const result = new Map<string, Record<string, unknown>>(batchIds.map((id) => [id, {}]));
    for (const [section, loader] of this.loaders) {
      const values = await loader(em, batchIds);
      for (const id of batchIds) result.get(id)![section] = values.get(id) ?? null;
    }
    return result;
  }
}
