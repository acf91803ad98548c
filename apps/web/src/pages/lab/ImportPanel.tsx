import { type FormEvent, useRef, useState } from 'react';
import { Field, FormErrors, localNow, ProblemAlert, toIso } from '../../components/forms';
import { NtaChart } from '../../components/lazyCharts';
import { Notice } from '../../components/ui';
import { api } from '../../lib/api';
import { ASSAYS, IMPORT_ASSAYS } from '../../lib/assays';
import { label, num } from '../../lib/format';
import { useCommand } from '../../lib/hooks';
import { PreviewVerdict, type DeriveContext } from './AssayFields';
import type { BatchSpec } from './spec';
import type { AssayResult, BatchDetail } from './types';

interface Candidate {
  assay: string;
  label: string;
  sample: string | null;
  data: Record<string, unknown>;
}

interface Preview {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  format: string;
  mediaType: string;
  candidates: Candidate[];
  notes: string[];
  gate?: { channel: string; threshold: number; eventCount: number; eventsAbove: number; percentAbove: number };
}

const MAPPING_FIELDS = ['channel', 'threshold', 'isotypeControlPercent', 'marker', 'referenceTargets'];

/** Instrument file → parse preview (nothing stored) → import as a result (file and result in one go). */
export function ImportPanel({ batch, spec, ctx, onDone }: { batch: BatchDetail; spec: BatchSpec; ctx: DeriveContext; onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [assay, setAssay] = useState('nta');
  const [preview, setPreview] = useState<Preview>();
  const [sample, setSample] = useState<string | null>(null);
  const parse = useCommand((form: FormData) => api.form<Preview>('/instrument-files/parse', form));
  const save = useCommand((form: FormData) => api.form<AssayResult>(`/batches/${batch.id}/results/import`, form));
  const error = save.error ?? parse.error;
  const def = ASSAYS.find((a) => a.assay === assay)!;

  function multipart(form: HTMLFormElement, forImport: boolean): FormData {
    const source = new FormData(form);
    const out = new FormData();
    for (const name of MAPPING_FIELDS) {
      const v = String(source.get(name) ?? '').trim();
      if (v) out.append(name, v);
    }
    if (forImport) {
      out.append('assay', assay);
      out.append('performedAt', toIso(String(source.get('performedAt') ?? '')));
      const instrument = String(source.get('instrument') ?? '').trim();
      if (instrument) out.append('instrument', instrument);
      if (sample) out.append('sample', sample);
    }
    const file = source.get('file');
    if (file instanceof File && file.size > 0) out.append('file', file, file.name);
    return out;
  }

  async function previewFile(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    save.setError(undefined);
    setPreview(undefined);
    const result = await parse.execute(multipart(e.currentTarget, false));
    if (result) {
      setPreview(result);
      setSample(result.candidates[0]?.sample ?? null);
    }
  }

  async function importFile() {
    if (!formRef.current) return;
    const saved = await save.execute(multipart(formRef.current, true));
    if (saved) onDone(`${def.label} imported from ${preview?.fileName}: ${saved.outcome === 'pass' ? 'within specification' : saved.outcome === 'fail' ? 'OUT OF SPECIFICATION (an OOS investigation was opened)' : saved.outcome}.`);
  }

  const chosen = preview?.candidates.find((c) => c.sample === sample) ?? preview?.candidates[0];
  const wrongAssay = preview && chosen && chosen.assay !== assay;
  return (
    <form ref={formRef} onSubmit={previewFile} noValidate className="card" aria-labelledby="import-title" onChange={(e) => { const n = (e.target as unknown as HTMLInputElement).name; if (preview && ['file', 'assayPick', ...MAPPING_FIELDS].includes(n)) setPreview(undefined); }}>
      <h3 id="import-title">Import an instrument file</h3>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} title={save.error ? 'Not imported' : 'Cannot read the file'} />
        <div className="form-grid">
          <div className="field">
            <label htmlFor="import-assay">Assay</label>
            <select id="import-assay" name="assayPick" value={assay} onChange={(e) => setAssay(e.target.value)}>
              {IMPORT_ASSAYS.map((a) => <option key={a.assay} value={a.assay}>{a.label}</option>)}
            </select>
            <div className="hint">{def.importable?.hint}</div>
          </div>
          <Field name="file" label="Instrument file" kind="file" required accept={def.importable?.formats} />
          <Field name="performedAt" label="Performed at" kind="datetime" required defaultValue={localNow(-10)} />
          <Field name="instrument" label="Instrument" placeholder="e.g. NanoSight NS300 #2" />
          {assay === 'facs' ? (
            <>
              <Field name="channel" label="Gate channel" required placeholder="e.g. FL1-A" />
              <Field name="threshold" label="Gate threshold" kind="number" required />
              <Field name="isotypeControlPercent" label="Isotype control positive" kind="number" unit="%" required />
              <Field name="marker" label="Marker" defaultValue="CD63" />
            </>
          ) : null}
          {assay === 'qpcr' ? <Field name="referenceTargets" label="Reference targets" required hint="Comma-separated target ids that are reference genes or spike-ins" /> : null}
        </div>
      </FormErrors>
      <button type="submit" className="btn" disabled={parse.pending} aria-busy={parse.pending || undefined}>{parse.pending ? 'Reading…' : 'Preview'}</button>
      {preview ? (
        <section className="import-preview" aria-labelledby="preview-title" data-testid="import-preview">
          <h4 id="preview-title">Preview: {preview.fileName}</h4>
          <p className="small">Format <strong>{preview.format}</strong> · {num(preview.sizeBytes, 'bytes')} · SHA-256 <code className="hash">{preview.sha256}</code></p>
          {preview.notes.map((n) => <Notice key={n} tone="warn">{n}</Notice>)}
          {preview.gate ? <p>Gate {preview.gate.channel} &gt; {preview.gate.threshold}: {preview.gate.eventsAbove} of {preview.gate.eventCount} events ({num(preview.gate.percentAbove, '%')})</p> : null}
          {preview.candidates.length > 1 ? (
            <fieldset className="radio-group">
              <legend>Which sample to record</legend>
              {preview.candidates.map((c) => (
                <label key={c.sample ?? c.label}><input type="radio" name="sampleChoice" checked={c.sample === sample} onChange={() => setSample(c.sample)} /> {c.label}</label>
              ))}
            </fieldset>
          ) : null}
          {chosen ? (
            <>
              <p><strong>{chosen.label}</strong></p>
              <div className="table-wrap">
                <table className="compact">
                  <thead><tr><th scope="col">Value</th><th scope="col">From the file</th></tr></thead>
                  <tbody>
                    {Object.entries(chosen.data).filter(([k]) => k !== 'sizeDistribution' && k !== 'targets').map(([k, v]) => (
                      <tr key={k}><td>{ASSAYS.find((a) => a.assay === chosen.assay)?.fields.find((f) => f.name === k)?.label ?? label(k)}</td><td>{Array.isArray(v) ? (v.length ? v.join('; ') : 'none') : num(v, ASSAYS.find((a) => a.assay === chosen.assay)?.fields.find((f) => f.name === k)?.unit)}</td></tr>
                    ))}
                    {Array.isArray(chosen.data.targets) ? (chosen.data.targets as { target: string; cq?: number; isReference: boolean }[]).map((t) => (
                      <tr key={t.target}><td>{t.target}{t.isReference ? ' (reference)' : ''}</td><td>{t.cq === undefined ? 'not detected' : `Cq ${t.cq}`}</td></tr>
                    )) : null}
                  </tbody>
                </table>
              </div>
              {(spec.byAssay[chosen.assay] ?? []).length ? (
                <div className="spec-preview">
                  <h4>Specification preview</h4>
                  <ul>{(spec.byAssay[chosen.assay] ?? []).map((line) => <li key={line.parameter}>{line.label}: <PreviewVerdict line={line} assay={chosen.assay} data={chosen.data} ctx={ctx} /></li>)}</ul>
                </div>
              ) : null}
              {chosen.assay === 'nta' ? <NtaChart data={chosen.data} modeRange={(() => { const c = spec.byAssay.nta?.find((l) => l.parameter === 'modeNm')?.criterion; return c?.kind === 'range' ? c : undefined; })()} /> : null}
            </>
          ) : <Notice tone="warn">The file holds no result this assay can record.</Notice>}
          {wrongAssay ? <Notice tone="warn">This file holds a {chosen?.assay} result, not {assay}.</Notice> : null}
          <button type="button" className="btn btn-primary" onClick={importFile} disabled={save.pending || !chosen || !!wrongAssay} aria-busy={save.pending || undefined}>
            {save.pending ? 'Importing…' : 'Import as result'}
          </button>
        </section>
      ) : null}
    </form>
  );
}
