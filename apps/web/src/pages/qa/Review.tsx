import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ChecklistView } from '../../components/Checklist';
import { Field } from '../../components/forms';
import { NtaChart } from '../../components/lazyCharts';
import { SignatureDialog } from '../../components/SignatureDialog';
import { StageStepper } from '../../components/Timeline';
import { Facts, LoadError, Loading, Notice, PageHeader, StateBadge, Verdict } from '../../components/ui';
import { api, download } from '../../lib/api';
import { AREAS, batchPath } from '../../lib/areas';
import { ASSAY_LABELS, dateTime, label, num } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';
import type { AssayResult, BatchDetail, Checklist } from '../lab/types';
import { QuarantineActions, QuarantineNotice } from './QuarantineActions';

interface Decision {
  decision: 'approved' | 'rejected';
  state: string;
  lotNumber?: string | null;
  signedBy?: string;
  signedAt?: string;
  meaning?: string;
  reason?: string | null;
}

/** QA's review: every spec line with its result, verdict and evidence; then the signed decision. */
export function Review() {
  const { id = '' } = useParams();
  const batch = useApi<BatchDetail>(`/batches/${id}`);
  const checklist = useApi<Checklist>(`/batches/${id}/release-checklist`);
  const results = useApi<AssayResult[]>(`/batches/${id}/results`);
  const decision = useApi<Decision>(batch.data && ['released', 'rejected'].includes(batch.data.state) ? `/batches/${id}/release` : null);
  const [dialog, setDialog] = useState<'approve' | 'reject' | null>(null);
  const [done, setDone] = useState<Decision>();
  const [flash, setFlash] = useState<string>();
  const b = batch.data;
  useDocumentTitle(b ? `Review ${b.batchNumber}` : 'Review');
  if (batch.error) return <LoadError error={batch.error} onRetry={batch.reload} />;
  if (!b) return <Loading what="the batch" />;
  const current = (results.data ?? []).filter((r) => !r.supersededById);
  const decided = done ?? decision.data;
  const refresh = () => {
    batch.reload();
    checklist.reload();
    decision.reload();
  };
  const canDecide = b.state === 'release_pending' && !decided;
  return (
    <section>
      <p className="crumbs"><Link to={AREAS.releaseQueue.path}>Release queue</Link> › {b.batchNumber}</p>
      <PageHeader title={<>Release review: {b.batchNumber} <StateBadge state={b.state} /></>} sub={<>{b.productCode} — {b.productName} · {label(b.sourceType)} · <Link to={batchPath(b.id)}>batch page</Link></>}>
        {canDecide ? (
          <>
            <button type="button" className="btn btn-primary" onClick={() => setDialog('approve')} disabled={!checklist.data?.passed || checklist.data?.stale}>Approve for release…</button>
            <button type="button" className="btn btn-danger" onClick={() => setDialog('reject')}>Reject…</button>
          </>
        ) : null}
        <QuarantineActions batch={b} onChanged={(m) => { setFlash(m); refresh(); }} />
      </PageHeader>
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <QuarantineNotice batch={b} />
      <StageStepper state={b.state} />
      {decided ? (
        <Notice tone={decided.decision === 'approved' ? 'success' : 'warn'}>
          <span data-testid="decision">
            {decided.decision === 'approved' ? <>Released as lot <strong>{decided.lotNumber}</strong></> : <>Rejected{decided.reason ? `: ${decided.reason}` : ''}</>}
            {decided.signedBy ? <> · signed by {decided.signedBy}{decided.signedAt ? `, ${dateTime(decided.signedAt)}` : ''}</> : null}
          </span>
          {decided.decision === 'approved' ? <> <button type="button" className="btn btn-small" onClick={() => download(`/batches/${b.id}/certificate`, `CoA-${decided.lotNumber}.pdf`).catch(() => undefined)}>Download CoA (PDF)</button></> : null}
        </Notice>
      ) : null}
      {b.state !== 'release_pending' && !decided ? <Notice tone="warn">This batch is {label(b.state).toLowerCase()}, not release pending: it cannot be signed now.</Notice> : null}
      <h2>Release checklist</h2>
      <LoadError error={checklist.error?.status === 404 ? undefined : checklist.error} />
      {checklist.data ? <ChecklistView checklist={checklist.data} resultLink={(rid) => `#result-${rid}`} /> : checklist.error ? <p>No checklist has been computed.</p> : <Loading what="the checklist" />}
      <h2>Evidence: results</h2>
      <LoadError error={results.error} />
      <div className="result-cards">
        {current.map((r) => (
          <article key={r.id} id={`result-${r.id}`} className={`result-card outcome-${r.outcome}`} aria-label={`${ASSAY_LABELS[r.assay] ?? r.assay} result`}>
            <header><h3>{ASSAY_LABELS[r.assay] ?? r.assay} <span className="muted">v{r.version}</span></h3><Verdict value={r.outcome} large /></header>
            <p className="muted small">Performed {dateTime(r.performedAt)} by {r.recordedByName}{r.instrumentFileId ? ' · imported from an instrument file' : ''}{r.correctionReason ? ` · corrected: ${r.correctionReason}` : ''}</p>
            <ul className="verdict-list">
              {r.verdicts.map((v) => <li key={v.parameter}><Verdict value={v.verdict} /> {v.label}: <strong>{num(v.value)}</strong> <span className="muted">(spec {v.expected})</span></li>)}
            </ul>
            {r.assay === 'nta' ? <NtaChart data={r.data} /> : null}
            {r.instrumentFileId ? <button type="button" className="btn btn-small" onClick={() => download(`/instrument-files/${r.instrumentFileId}/content`, 'instrument-file').catch(() => undefined)}>Source file</button> : null}
          </article>
        ))}
      </div>
      <h2>Isolation</h2>
      <Facts items={[['Steps', b.summary?.stepCount], ['Reagent lots', b.summary?.reagentLots.join(', ')], ['Yield', num(b.yieldVolumeMl, 'mL')]]} />
      <SignatureDialog open={dialog === 'approve'} meaning="approved_for_release" onClose={() => setDialog(null)}
        record={<p>Batch <strong>{b.batchNumber}</strong> ({b.productCode}), checklist revision {checklist.data?.qcRevision}: {checklist.data?.lines.length} lines, all passing. A lot number is assigned and the certificate of analysis is issued.</p>}
        onSign={async (body) => {
          const res = await api.post<Decision>(`/batches/${b.id}/release/approve`, body, { credentialCheck: true });
          setDone(res);
          refresh();
        }} />
      <SignatureDialog open={dialog === 'reject'} meaning="rejected" danger onClose={() => setDialog(null)}
        record={<p>Batch <strong>{b.batchNumber}</strong> ({b.productCode}). A rejected batch can never be released.</p>}
        onSign={async (body) => {
          const res = await api.post<Decision>(`/batches/${b.id}/release/reject`, body, { credentialCheck: true });
          setDone(res);
          refresh();
        }}>
        <Field name="reason" label="Reason for rejection" kind="textarea" required />
      </SignatureDialog>
    </section>
  );
}
