import { type FormEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Field, FormErrors, formBody, ProblemAlert, Submit } from '../../components/forms';
import { SignatureDialog } from '../../components/SignatureDialog';
import { Empty, Facts, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api } from '../../lib/api';
import { batchPath } from '../../lib/areas';
import { useAuth } from '../../lib/auth';
import { ASSAY_LABELS, dateTime, label, num } from '../../lib/format';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';
import type { AssayResult, Investigation } from './types';

/** OOS investigations: findings by the lab, closure signed by QA (retest invalidates, or OOS confirmed). */
export function Investigations() {
  useDocumentTitle('Investigations');
  const { user } = useAuth();
  const [status, setStatus] = useState<'open' | 'closed' | ''>('open');
  const list = useApi<Investigation[]>(`/investigations${status ? `?status=${status}` : ''}`);
  const [selected, setSelected] = useState<string>();
  const [flash, setFlash] = useState<string>();
  const current = list.data?.find((i) => i.id === selected);
  return (
    <section>
      <PageHeader title="Investigations" sub="Out-of-specification results open an investigation; an open one blocks release." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <div className="toolbar">
        <label>Show <select value={status} onChange={(e) => setStatus(e.target.value as 'open')}><option value="open">Open (awaiting disposition)</option><option value="closed">Closed</option><option value="">All</option></select></label>
      </div>
      <LoadError error={list.error} onRetry={list.reload} />
      {!list.data && !list.error ? <Loading what="investigations" /> : null}
      {list.data && list.data.length === 0 ? <Empty>No {status || ''} investigations.</Empty> : null}
      <div className="master-detail">
        <ul className="list" aria-label="Investigations">
          {list.data?.map((i) => (
            <li key={i.id}>
              <button type="button" className={`list-item${i.id === selected ? ' active' : ''}`} aria-pressed={i.id === selected} onClick={() => setSelected(i.id)}>
                <strong>{i.number}</strong> <Verdict value={i.status === 'open' ? 'fail' : 'pass'}>{i.status === 'open' ? 'Open' : `Closed: ${label(i.conclusion)}`}</Verdict>
                <span className="small">{i.batchNumber} · {ASSAY_LABELS[i.assay] ?? i.assay}</span>
              </button>
            </li>
          ))}
        </ul>
        {current ? <InvestigationDetail key={current.id + current.version} inv={current} isQa={user?.role === 'qa_manager'} onChanged={(m) => { setFlash(m); list.reload(); }} /> : list.data?.length ? <p className="muted">Choose an investigation.</p> : null}
      </div>
    </section>
  );
}

function InvestigationDetail({ inv, isQa, onChanged }: { inv: Investigation; isQa: boolean; onChanged: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [closing, setClosing] = useState(false);
  const [conclusion, setConclusion] = useState('confirmed_oos');
  const results = useApi<AssayResult[]>(isQa && inv.status === 'open' ? `/batches/${inv.batchId}/results` : null);
  const retests = (results.data ?? []).filter((r) => r.assay === inv.assay && r.id !== inv.resultId && r.outcome === 'pass');
  const update = useCommand((body: Record<string, unknown>) => api.patch<Investigation>(`/investigations/${inv.id}`, body));
  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (await update.execute(formBody(e.currentTarget))) onChanged(`${inv.number}: findings saved.`);
  }
  return (
    <article className="card detail" aria-labelledby="inv-title">
      <h2 id="inv-title">{inv.number}</h2>
      <Facts items={[
        ['Batch', <Link key="b" to={`${batchPath(inv.batchId)}?tab=results`}>{inv.batchNumber}</Link>],
        ['Assay', ASSAY_LABELS[inv.assay] ?? inv.assay],
        ['Opened', dateTime(inv.openedAt)],
        ['Closed', inv.closedAt ? dateTime(inv.closedAt) : null],
        ['Conclusion', inv.conclusion ? label(inv.conclusion) : null],
      ]} />
      <h3>Failed parameters</h3>
      <ul>
        {inv.failedParameters.map((p) => <li key={p.parameter}><Verdict value="fail" /> {p.label}: <strong>{num(p.value)}</strong> (specification {p.expected})</li>)}
      </ul>
      {inv.status === 'open' ? (
        <form ref={formRef} onSubmit={save} noValidate>
          <FormErrors error={update.error}>
            <ProblemAlert error={update.error} form={formRef.current} />
            <Field name="findings" label="Findings" kind="textarea" defaultValue={inv.findings ?? ''} />
            <Field name="rootCause" label="Root cause" kind="textarea" defaultValue={inv.rootCause ?? ''} />
          </FormErrors>
          <div className="button-row">
            <Submit pending={update.pending} className="btn">Save findings</Submit>
            {isQa ? <button type="button" className="btn btn-primary" onClick={() => setClosing(true)}>Close with signature…</button> : null}
          </div>
        </form>
      ) : (
        <Facts items={[['Findings', inv.findings], ['Root cause', inv.rootCause]]} />
      )}
      <SignatureDialog open={closing} meaning="oos_investigation_closed" onClose={() => setClosing(false)}
        record={<p>Investigation <strong>{inv.number}</strong> of batch {inv.batchNumber} ({ASSAY_LABELS[inv.assay] ?? inv.assay}).</p>}
        onSign={async (body) => {
          await api.post(`/investigations/${inv.id}/close`, body, { credentialCheck: true });
          onChanged(`${inv.number} closed.`);
        }}>
        <Field name="conclusion" label="Conclusion" kind="select" required defaultValue="confirmed_oos" onChange={setConclusion}
          options={[{ value: 'confirmed_oos', label: 'OOS confirmed (the batch cannot be released)' }, { value: 'invalidated_retest', label: 'Invalidated: a passing retest replaces the result' }]} />
        {conclusion === 'invalidated_retest' ? (
          <Field name="retestResultId" label="Passing retest" kind="select" required options={retests.map((r) => ({ value: r.id, label: `v${r.version} recorded ${dateTime(r.recordedAt)}` }))} hint={retests.length ? undefined : 'No passing result of this assay yet: record the retest first.'} />
        ) : null}
        <Field name="rootCause" label="Root cause" kind="textarea" defaultValue={inv.rootCause ?? ''} />
        <Field name="findings" label="Findings" kind="textarea" defaultValue={inv.findings ?? ''} />
      </SignatureDialog>
    </article>
  );
}
