import { type FormEvent, useMemo, useRef, useState } from 'react';
import { Field, FormErrors, formBody, localNow, ProblemAlert, Submit } from '../../components/forms';
import { NtaChart } from '../../components/lazyCharts';
import { Empty, LoadError, Loading, Notice, Verdict } from '../../components/ui';
import { type ApiError, api, download } from '../../lib/api';
import { ASSAYS, type AssayDef } from '../../lib/assays';
import { ASSAY_LABELS, dateTime, label, num } from '../../lib/format';
import { useApi, useCommand } from '../../lib/hooks';
import { AssayFields, cleanRows, type DeriveContext } from './AssayFields';
import { ImportPanel } from './ImportPanel';
import type { BatchSpec } from './spec';
import type { AssayResult, BatchDetail } from './types';

const ORDER = ASSAYS.map((a) => a.assay);
const OPEN_FOR_RESULTS = ['isolated', 'characterization', 'qc_review', 'release_pending'];

export function ResultsPanel(props: { batch: BatchDetail; results: AssayResult[] | undefined; resultsError: ApiError | undefined; spec: BatchSpec; canEdit: boolean; onChanged: (message?: string) => void }) {
  const { batch, results, spec, canEdit, onChanged } = props;
  const current = useMemo(() => (results ?? []).filter((r) => !r.supersededById).sort((a, b) => ORDER.indexOf(a.assay) - ORDER.indexOf(b.assay) || a.recordedAt.localeCompare(b.recordedAt)), [results]);
  const ctx: DeriveContext = useMemo(() => {
    const nta = [...current].reverse().find((r) => r.assay === 'nta');
    return { ntaConcentrationPerMl: typeof nta?.data.concentrationPerMl === 'number' ? nta.data.concentrationPerMl : undefined };
  }, [current]);
  const [mode, setMode] = useState<'none' | 'manual' | 'import'>('none');
  const open = OPEN_FOR_RESULTS.includes(batch.state);
  const required = Object.keys(spec.byAssay);
  const missing = required.filter((a) => spec.byAssay[a].some((c) => c.required) && !current.some((r) => r.assay === a));

  return (
    <div>
      {spec.missing ? <Notice tone="warn">The product has no effective specification yet: a QA manager must sign one before results can be recorded.</Notice> : null}
      {open && missing.length ? <p><strong>Still required:</strong> {missing.map((a) => ASSAY_LABELS[a] ?? a).join(', ')}</p> : null}
      {open && canEdit ? (
        <div className="button-row">
          <button type="button" className={`btn${mode === 'manual' ? ' btn-primary' : ''}`} aria-expanded={mode === 'manual'} onClick={() => setMode(mode === 'manual' ? 'none' : 'manual')}>Enter a result</button>
          <button type="button" className={`btn${mode === 'import' ? ' btn-primary' : ''}`} aria-expanded={mode === 'import'} onClick={() => setMode(mode === 'import' ? 'none' : 'import')}>Import an instrument file</button>
        </div>
      ) : null}
      {mode === 'manual' ? <ManualResult batch={batch} spec={spec} ctx={ctx} initialAssay={missing[0]} onDone={(m) => { setMode('none'); onChanged(m); }} /> : null}
      {mode === 'import' ? <ImportPanel batch={batch} spec={spec} ctx={ctx} onDone={(m) => { setMode('none'); onChanged(m); }} /> : null}
      <h2>Results</h2>
      <LoadError error={props.resultsError} />
      {!results && !props.resultsError ? <Loading what="results" /> : null}
      {results && current.length === 0 ? <Empty>No results recorded yet.</Empty> : null}
      <div className="result-cards">
        {current.map((r) => <ResultCard key={r.id} result={r} batch={batch} spec={spec} ctx={ctx} canCorrect={canEdit && open} onChanged={onChanged} />)}
      </div>
    </div>
  );
}

function ResultCard({ result, batch, spec, ctx, canCorrect, onChanged }: { result: AssayResult; batch: BatchDetail; spec: BatchSpec; ctx: DeriveContext; canCorrect: boolean; onChanged: (m?: string) => void }) {
  const [panel, setPanel] = useState<'none' | 'correct' | 'history'>('none');
  const def = ASSAYS.find((a) => a.assay === result.assay);
  const modeLine = spec.byAssay.nta?.find((c) => c.parameter === 'modeNm');
  return (
    <article className={`result-card outcome-${result.outcome}`} data-assay={result.assay} aria-labelledby={`res-${result.id}`}>
      <header>
        <h3 id={`res-${result.id}`}>{ASSAY_LABELS[result.assay] ?? result.assay} <span className="muted">v{result.version}</span></h3>
        <Verdict value={result.outcome} large />
      </header>
      <p className="muted small">
        Performed {dateTime(result.performedAt)} · recorded by {result.recordedByName} {dateTime(result.recordedAt)}
        {result.instrument ? ` · ${result.instrument}` : ''}
        {result.retestOfId ? ' · retest' : ''}
      </p>
      {result.correctionReason ? <p className="small"><strong>Correction reason:</strong> {result.correctionReason}</p> : null}
      {result.verdicts.length ? (
        <div className="table-wrap">
          <table className="compact">
            <thead><tr><th scope="col">Parameter</th><th scope="col">Value</th><th scope="col">Specification</th><th scope="col">Verdict</th></tr></thead>
            <tbody>
              {result.verdicts.map((v) => (
                <tr key={v.parameter} className={v.verdict === 'fail' ? 'row-fail' : ''}>
                  <td>{v.label}</td>
                  <td>{num(v.value, unitOf(def, v.parameter))}</td>
                  <td>{v.expected}</td>
                  <td><Verdict value={v.verdict} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : <p className="muted">No specification line judges this result.</p>}
      <details>
        <summary>Recorded values</summary>
        <DataList data={result.data} def={def} />
      </details>
      {result.assay === 'nta' ? <NtaChart data={result.data} modeRange={modeLine?.criterion.kind === 'range' ? modeLine.criterion : undefined} /> : null}
      <div className="button-row">
        {result.instrumentFileId ? <button type="button" className="btn btn-small" onClick={() => download(`/instrument-files/${result.instrumentFileId}/content`, 'instrument-file').catch(() => undefined)}>Download source file</button> : null}
        <button type="button" className="btn btn-small" aria-expanded={panel === 'history'} onClick={() => setPanel(panel === 'history' ? 'none' : 'history')}>Version history</button>
        {canCorrect ? <button type="button" className="btn btn-small" aria-expanded={panel === 'correct'} onClick={() => setPanel(panel === 'correct' ? 'none' : 'correct')}>Correct</button> : null}
      </div>
      {panel === 'history' ? <History batchId={batch.id} resultId={result.id} def={def} /> : null}
      {panel === 'correct' && def ? <Correction batch={batch} result={result} def={def} spec={spec} ctx={ctx} onDone={(m) => { setPanel('none'); onChanged(m); }} /> : null}
    </article>
  );
}

function unitOf(def: AssayDef | undefined, parameter: string): string | undefined {
  if (parameter === 'purityParticlesPerUg') return 'particles/µg';
  if (parameter === 'percentAboveIsotype') return '%';
  return def?.fields.find((f) => f.name === parameter)?.unit;
}

function DataList({ data, def }: { data: Record<string, unknown>; def: AssayDef | undefined }) {
  return (
    <ul className="data-list">
      {Object.entries(data).filter(([k]) => k !== 'sizeDistribution').map(([k, v]) => (
        <li key={k}>
          <span className="muted">{def?.fields.find((f) => f.name === k)?.label ?? label(k)}:</span>{' '}
          {Array.isArray(v) ? v.length === 0 ? 'none' : v.map((x) => (typeof x === 'object' ? Object.values(x as object).join(' ') : String(x))).join('; ') : num(v, unitOf(def, k))}
        </li>
      ))}
    </ul>
  );
}

function History({ batchId, resultId, def }: { batchId: string; resultId: string; def: AssayDef | undefined }) {
  const versions = useApi<AssayResult[]>(`/batches/${batchId}/results/${resultId}/versions`);
  if (versions.error) return <LoadError error={versions.error} />;
  if (!versions.data) return <Loading what="versions" />;
  return (
    <ol className="versions">
      {versions.data.map((v) => (
        <li key={v.id}>
          <strong>v{v.version}</strong> <Verdict value={v.outcome} /> {dateTime(v.recordedAt)} by {v.recordedByName}
          {v.correctionReason ? <div>Reason: {v.correctionReason}</div> : null}
          <DataList data={v.data} def={def} />
        </li>
      ))}
    </ol>
  );
}

/** Live values of a form, for the inline verdict preview. */
function useLiveData(): [Record<string, unknown>, (form: HTMLFormElement) => void] {
  const [data, setData] = useState<Record<string, unknown>>({});
  return [data, (form) => {
    try {
      setData((formBody(form).data as Record<string, unknown>) ?? {});
    } catch {
      /* half-typed values */
    }
  }];
}

function ManualResult({ batch, spec, ctx, initialAssay, onDone }: { batch: BatchDetail; spec: BatchSpec; ctx: DeriveContext; initialAssay?: string; onDone: (m: string) => void }) {
  const [assay, setAssay] = useState(initialAssay ?? 'nta');
  const def = ASSAYS.find((a) => a.assay === assay) ?? ASSAYS[0];
  const formRef = useRef<HTMLFormElement>(null);
  const [data, update] = useLiveData();
  const { execute, pending, error, setError } = useCommand((body: Record<string, unknown>) => api.post<AssayResult>(`/batches/${batch.id}/results/${def.route}`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = cleanRows(formBody(e.currentTarget));
    delete body.assay;
    const saved = await execute(body);
    if (saved) onDone(`${def.label} recorded: ${saved.outcome === 'pass' ? 'within specification' : saved.outcome === 'fail' ? 'OUT OF SPECIFICATION (an OOS investigation was opened)' : saved.outcome}.`);
  }
  return (
    <form ref={formRef} onSubmit={submit} onInput={(e) => update(e.currentTarget)} onChange={(e) => update(e.currentTarget)} noValidate className="card" aria-labelledby="manual-title">
      <h3 id="manual-title">Enter a result</h3>
      <div className="field">
        <label htmlFor="assay-pick">Assay</label>
        <select id="assay-pick" name="assay" data-skip value={assay} onChange={(e) => { setAssay(e.target.value); setError(undefined); }}>
          {ASSAYS.map((a) => <option key={a.assay} value={a.assay}>{a.label}{spec.byAssay[a.assay] ? '' : ' (not in the specification)'}</option>)}
        </select>
      </div>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <div key={assay} className="form-grid">
          <Field name="performedAt" label="Performed at" kind="datetime" required defaultValue={localNow(-10)} />
          <Field name="instrument" label="Instrument" placeholder="e.g. NanoSight NS300 #2" />
          <AssayFields def={def} criteria={spec.byAssay[assay] ?? []} data={data} ctx={ctx} source={batch.sourceType} />
        </div>
      </FormErrors>
      <p className="muted small">Verdicts shown while typing are a preview from the specification; the saved verdict is the API's.</p>
      <Submit pending={pending}>Record {def.label}</Submit>
    </form>
  );
}

function Correction({ batch, result, def, spec, ctx, onDone }: { batch: BatchDetail; result: AssayResult; def: AssayDef; spec: BatchSpec; ctx: DeriveContext; onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [data, update] = useLiveData();
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post<AssayResult>(`/batches/${batch.id}/results/${result.id}/corrections`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = cleanRows(formBody(e.currentTarget));
    // Values the form does not show (size distribution, warnings) are kept as they were.
    body.data = { ...result.data, ...(body.data as Record<string, unknown>) };
    const saved = await execute(body);
    if (saved) onDone(`${def.label} corrected: version ${saved.version} (${saved.outcome}).`);
  }
  return (
    <form ref={formRef} onSubmit={submit} onInput={(e) => update(e.currentTarget)} onChange={(e) => update(e.currentTarget)} noValidate className="card correction" aria-label={`Correct ${def.label}`}>
      <h4>Correct {def.label} (creates version {result.version + 1})</h4>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <div className="form-grid">
          <AssayFields def={def} criteria={spec.byAssay[def.assay] ?? []} data={Object.keys(data).length ? data : result.data} ctx={ctx} defaults={result.data} source={batch.sourceType} />
        </div>
        <Field name="reason" label="Reason for the correction" kind="textarea" required hint="Mandatory: it is kept with the new version and in the audit trail" />
      </FormErrors>
      <Submit pending={pending}>Save correction</Submit>
    </form>
  );
}
