import { Injectable } from '@nestjs/common';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, isSystemActor, type Tx } from '#platform';
import { BatchRepository, type BatchEventRow, type BatchRow } from './batch.repository.js';
import { planTransition, TRANSITIONS, type BatchState, type TransitionFacts, type TransitionName } from './domain/batch-lifecycle.js';

/**
 * Applies lifecycle transitions: checks the table and guards, updates the state, and writes
 * the event row and the audit event in the caller's transaction.
 */
@Injectable()
export class BatchLifecycle {
  constructor(
    private readonly batches: BatchRepository,
    private readonly audit: AuditTrail,
  ) {}

  /** Throws the plan's refusal as a DomainError, or returns the target state. */
  assertAllowed(current: BatchState | null, transition: TransitionName, facts: TransitionFacts): BatchState {
    const plan = planTransition(current, transition, facts);
    if (!plan.ok) throw new DomainError(plan.code, plan.message, { transition, currentState: current, failures: plan.failures });
    return plan.to;
  }

  /** Records the opening event of a just-inserted batch. */
  async recordCreation(tx: Tx, ctx: CommandContext, batchId: string, facts: TransitionFacts): Promise<BatchEventRow> {
    const to = this.assertAllowed(null, 'record_harvest', facts);
    return this.writeEvent(tx, ctx, batchId, 'record_harvest', null, to, facts.reason ?? null);
  }

  /** Moves a batch the caller has locked (findForUpdate) along one transition. */
  async apply(tx: Tx, ctx: CommandContext, batch: BatchRow, transition: TransitionName, facts: TransitionFacts): Promise<BatchState> {
    const definition = TRANSITIONS[transition];
    const system = isSystemActor(ctx.actor);
    if ((definition.by === 'system' && !system) || (definition.by === 'person' && system)) {
      throw new DomainError('state.transition_not_allowed', `${transition} is performed by ${definition.by === 'system' ? 'the system' : 'a person'}.`);
    }
    const to = this.assertAllowed(batch.state, transition, facts);
    await this.batches.updateState(tx.em, batch.id, to);
    await this.writeEvent(tx, ctx, batch.id, transition, batch.state, to, facts.reason ?? null);
    return to;
  }

  private async writeEvent(tx: Tx, ctx: CommandContext, batchId: string, transition: TransitionName, from: BatchState | null, to: BatchState, reason: string | null): Promise<BatchEventRow> {
    const event = await this.batches.insertEvent(tx.em, {
      batchId,
      transition,
      fromState: from,
      toState: to,
      actorId: ctx.actor.userId || null,
      actorName: ctx.actor.displayName,
      reason,
      requestId: ctx.requestId,
    });
    await this.audit.record(tx, ctx, { action: `batch.${transition}`, entityType: 'batch', entityId: batchId, before: from ? { state: from } : null, after: { state: to }, reason });
    return event;
  }
}
