import { useState } from 'react';
import { FormDialog } from '../../components/FormDialog';
import { Field } from '../../components/forms';
import { SignatureDialog } from '../../components/SignatureDialog';
import { Notice } from '../../components/ui';
import { api } from '../../lib/api';
import { dateTime } from '../../lib/format';
import type { BatchDetail } from '../lab/types';

/**
 * QA's hold on a batch: quarantine (with a reason) where the lifecycle allows it, and lifting
 * the hold with an e-signature ("reviewed"). The buttons follow the batch's `nextTransitions`
 * from the API; a refusal (409 wrong state, 400 reason, 401 password) shows in the dialog.
 */
export function QuarantineActions({ batch, onChanged }: { batch: BatchDetail; onChanged: (message: string) => void }) {
  const [dialog, setDialog] = useState<'hold' | 'lift' | null>(null);
  const canHold = batch.nextTransitions.includes('quarantine');
  const canLift = batch.nextTransitions.some((t) => t.startsWith('lift_quarantine'));
  const hold = lastHold(batch);
  return (
    <>
      {canHold ? <button type="button" className="btn btn-danger" onClick={() => setDialog('hold')}>Quarantine…</button> : null}
      {canLift ? <button type="button" className="btn" onClick={() => setDialog('lift')}>Lift quarantine…</button> : null}
      <FormDialog open={dialog === 'hold'} title={`Quarantine batch ${batch.batchNumber}`} danger submitLabel="Quarantine the batch" errorTitle="Not quarantined" onClose={() => setDialog(null)}
        intro={<p>While quarantined the batch cannot be released and its vials cannot be shipped. Lifting the hold needs a QA signature.</p>}
        onSubmit={async (body) => {
          await api.post(`/batches/${batch.id}/quarantine`, body);
          onChanged(`Batch ${batch.batchNumber} quarantined.`);
        }}>
        <Field name="reason" label="Reason for the quarantine" kind="textarea" required hint="The deviation, complaint or investigation (at least 3 characters)" />
      </FormDialog>
      <SignatureDialog open={dialog === 'lift'} meaning="reviewed" onClose={() => setDialog(null)}
        record={<p>Quarantine of batch <strong>{batch.batchNumber}</strong>{hold?.reason ? <> (held: {hold.reason})</> : null}. Lifting returns it to {batch.releasedAt ? <strong>released</strong> : <><strong>QC review</strong>, where the release gate evaluates it again</>}.</p>}
        onSign={async (body) => {
          await api.post(`/batches/${batch.id}/quarantine/lift`, body, { credentialCheck: true });
          onChanged(`Quarantine of ${batch.batchNumber} lifted.`);
        }}>
        <Field name="reason" label="Reason for lifting the quarantine" kind="textarea" required />
      </SignatureDialog>
    </>
  );
}

/** Why and since when a quarantined batch is held. */
export function QuarantineNotice({ batch }: { batch: BatchDetail }) {
  if (batch.state !== 'quarantined') return null;
  const hold = lastHold(batch);
  return (
    <Notice tone="warn">
      <span data-testid="quarantine-notice">
        <strong>Quarantined</strong>{hold ? <> since {dateTime(hold.occurredAt)}{hold.actorName ? ` by ${hold.actorName}` : ''}{hold.reason ? `: ${hold.reason}` : ''}</> : null}. It cannot be released or shipped until QA lifts the hold.
      </span>
    </Notice>
  );
}

function lastHold(batch: BatchDetail) {
  return [...batch.events].reverse().find((e) => e.toState === 'quarantined');
}
