import { BATCH_STATES, isTerminal, planTransition, TRANSITIONS, transitionsFrom, type BatchState, type TransitionName } from '../src/domain/batch-lifecycle.js';

describe('batch lifecycle table', () => {
  it('every state is reachable from a new batch', () => {
    const reached = new Set<BatchState>(['harvested']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const def of Object.values(TRANSITIONS)) {
        const from = def.from as readonly BatchState[] | null;
        if (from?.some((s) => reached.has(s)) && !reached.has(def.to)) {
          reached.add(def.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...BATCH_STATES].sort());
  });

  it('rejected is terminal and cannot be released by any path', () => {
    expect(isTerminal('rejected')).toBe(true);
    expect(transitionsFrom('rejected')).toEqual([]);
    for (const name of Object.keys(TRANSITIONS) as TransitionName[]) {
      expect(planTransition('rejected', name, { checklistPassed: true, releaseSignatureId: 'sig', reason: 'x', previouslyReleased: true }).ok).toBe(false);
    }
  });

  it('a new batch can only start by recording its harvest', () => {
    expect(planTransition(null, 'record_harvest', { harvestRecorded: true })).toEqual({ ok: true, from: null, to: 'harvested' });
    expect(planTransition(null, 'start_isolation', { harvestRecorded: true }).ok).toBe(false);
    const withoutHarvest = planTransition(null, 'record_harvest', {});
    expect(withoutHarvest).toMatchObject({ ok: false, code: 'state.guard_failed' });
  });

  it('refuses a transition from the wrong state and names the expected one', () => {
    const plan = planTransition('harvested', 'complete_isolation', { separationStepCount: 1, yieldVolumeMl: 2 });
    expect(plan).toMatchObject({ ok: false, code: 'state.transition_not_allowed' });
    if (!plan.ok) expect(plan.message).toContain('isolation_in_progress');
  });

  it('completing isolation needs a separation step and a positive yield', () => {
    expect(planTransition('isolation_in_progress', 'complete_isolation', { separationStepCount: 0, yieldVolumeMl: 2 })).toMatchObject({ ok: false, code: 'state.guard_failed' });
    expect(planTransition('isolation_in_progress', 'complete_isolation', { separationStepCount: 1, yieldVolumeMl: 0 })).toMatchObject({ ok: false, failures: ['the isolated yield volume must be recorded'] });
    expect(planTransition('isolation_in_progress', 'complete_isolation', { separationStepCount: 2, yieldVolumeMl: 1.5 })).toEqual({ ok: true, from: 'isolation_in_progress', to: 'isolated' });
  });

  it('release needs a passed checklist and a signature; rejection and quarantine need a reason', () => {
    expect(planTransition('release_pending', 'approve_release', { checklistPassed: true }).ok).toBe(false);
    expect(planTransition('release_pending', 'approve_release', { checklistPassed: false, releaseSignatureId: 's' }).ok).toBe(false);
    expect(planTransition('release_pending', 'approve_release', { checklistPassed: true, releaseSignatureId: 's' })).toMatchObject({ ok: true, to: 'released' });
    expect(planTransition('qc_review', 'reject', {})).toMatchObject({ ok: false, code: 'state.reason_required' });
    expect(planTransition('qc_review', 'reject', { reason: '  ' })).toMatchObject({ ok: false, code: 'state.reason_required' });
    expect(planTransition('released', 'quarantine', { reason: 'freezer excursion' })).toMatchObject({ ok: true, to: 'quarantined' });
  });

  it('quarantine returns to released only for a batch released before', () => {
    expect(planTransition('quarantined', 'lift_quarantine_released', { reason: 'cleared', previouslyReleased: false }).ok).toBe(false);
    expect(planTransition('quarantined', 'lift_quarantine_released', { reason: 'cleared', previouslyReleased: true })).toMatchObject({ ok: true, to: 'released' });
    expect(planTransition('quarantined', 'lift_quarantine_to_review', { reason: 'cleared' })).toMatchObject({ ok: true, to: 'qc_review' });
  });

  it('the gate moves between qc_review and release_pending only', () => {
    expect(planTransition('qc_review', 'gate_passed', { checklistPassed: true })).toMatchObject({ ok: true, to: 'release_pending' });
    expect(planTransition('qc_review', 'gate_passed', { checklistPassed: false }).ok).toBe(false);
    expect(planTransition('release_pending', 'gate_failed', { reason: 'NTA corrected out of spec' })).toMatchObject({ ok: true, to: 'qc_review' });
    expect(planTransition('released', 'gate_failed', { reason: 'x' }).ok).toBe(false);
  });
});
