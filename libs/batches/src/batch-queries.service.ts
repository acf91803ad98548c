import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, type Page } from '#platform';
import { BatchRepository, type BatchListFilter, type BatchRow } from './batch.repository.js';
import { transitionsFrom } from './domain/batch-lifecycle.js';
import { BatchViewSections } from './batch-view.js';

/** Read side of batches: lists and the full record with contributed sections and history. */
@Injectable()
export class BatchQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchRepository,
    private readonly sections: BatchViewSections,
  ) {}

  async list(filter: BatchListFilter): Promise<Page<BatchRow & { nextTransitions: string[] }>> {
    const { items, total } = await this.batches.list(this.dataSource.manager, filter);
    return { items: items.map((b) => ({ ...b, nextTransitions: transitionsFrom(b.state) })), total, limit: filter.limit, offset: filter.offset };
  }

  async get(id: string): Promise<Record<string, unknown>> {
    const em = this.dataSource.manager;
    const batch = await this.batches.find(em, id);
    if (!batch) throw DomainError.notFound('batch', id);
    const events = await this.batches.events(em, id);
    const sections = (await this.sections.load(em, [id])).get(id) ?? {};
    return { ...batch, nextTransitions: transitionsFrom(batch.state), ...sections, events };
  }
}
