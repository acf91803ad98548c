import { Injectable, type OnModuleInit } from '@nestjs/common';
import { JobHandlerRegistry, TransactionRunner } from '#platform';

/**
 * Recomputes a batch's derived summary from its current steps. Idempotent: it re-reads the
 * steps and overwrites the summary, so running it twice gives the same row.
 */
@Injectable()
export class BatchSummaryJob implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly tx: TransactionRunner,
  ) {}

  onModuleInit(): void {
    this.handlers.register('batch.summary.recompute', ({ batchId }) => this.recompute(batchId));
  }

  async recompute(batchId: string): Promise<{ stepCount: number }> {
    return this.tx.run(async ({ em }) => {
      const [batch] = await em.query(`SELECT id FROM batches WHERE id = $1 FOR UPDATE`, [batchId]);
      if (!batch) throw new Error(`batch ${batchId} does not exist`);
      const [summary] = await em.query(
        `SELECT count(*)::int AS "stepCount",
                coalesce(sum((s.parameters->>'durationMinutes')::numeric), 0) AS "processingMinutes",
                coalesce(array_agg(DISTINCT l.lot_number) FILTER (WHERE l.lot_number IS NOT NULL), '{}') AS "reagentLots",
                max(s.performed_at) AS "lastStepAt"
           FROM isolation_steps s LEFT JOIN reagent_lots l ON l.id = s.reagent_lot_id WHERE s.batch_id = $1`,
        [batchId],
      );
      await em.query(
        `INSERT INTO batch_summaries (batch_id, step_count, processing_minutes, reagent_lots, last_step_at, computed_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (batch_id) DO UPDATE SET step_count = EXCLUDED.step_count, processing_minutes = EXCLUDED.processing_minutes,
           reagent_lots = EXCLUDED.reagent_lots, last_step_at = EXCLUDED.last_step_at, computed_at = now(),
           computations = batch_summaries.computations + 1`,
        [batchId, summary.stepCount, summary.processingMinutes, summary.reagentLots, summary.lastStepAt],
      );
      return { stepCount: summary.stepCount };
    });
  }
}
