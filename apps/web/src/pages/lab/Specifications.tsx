import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Field, FormErrors, formBody, ProblemAlert, Submit } from '../../components/forms';
import { SignatureDialog } from '../../components/SignatureDialog';
import { Empty, Facts, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api } from '../../lib/api';
import { type CriterionLine, describeCriterion } from '../../lib/assays';
import { useAuth } from '../../lib/auth';
import { ASSAY_LABELS, dateTime, label } from '../../lib/format';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';
import type { Product, Specification } from './types';

interface Comparison {
  specification: { id: string; version: number; status: string };
  comparedWith: { id: string; version: number; status: string } | null;
  changes: { change: 'added' | 'removed' | 'changed'; assay: string; parameter: string; label: string; expected?: string; from?: string; to?: string; requiredFrom?: boolean; requiredTo?: boolean }[];
}

/** Specification versions per product: drafts, comparison with the effective version, signing. */
export function Specifications() {
  useDocumentTitle('Specifications');
  const { user } = useAuth();
  const isQa = user?.role === 'qa_manager';
  const products = useApi<Product[]>('/products');
  const [productId, setProductId] = useState<string>();
  useEffect(() => {
    if (!productId && products.data?.length) setProductId(products.data[0].id);
  }, [products.data, productId]);
  const versions = useApi<Specification[]>(productId ? `/products/${productId}/specifications` : null);
  const [selected, setSelected] = useState<string>();
  const [flash, setFlash] = useState<string>();
  const effective = versions.data?.find((s) => s.status === 'effective');
  const shown = selected ?? versions.data?.find((s) => s.status === 'draft')?.id ?? effective?.id;
  const reload = (m: string, id?: string) => {
    setFlash(m);
    if (id) setSelected(id);
    versions.reload();
  };
  return (
    <section>
      <PageHeader title="Specifications" sub="Each product's versioned acceptance criteria. A draft becomes effective when a QA manager signs it." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={products.error ?? versions.error} />
      <div className="toolbar">
        <label>Product{' '}
          <select value={productId ?? ''} onChange={(e) => { setProductId(e.target.value); setSelected(undefined); }}>
            {products.data?.map((p) => <option key={p.id} value={p.id}>{p.code} — {p.name}</option>)}
          </select>
        </label>
      </div>
      {isQa && productId ? <NewDraft key={`${productId}:${effective?.id ?? 'none'}`} productId={productId} effective={effective} onDone={reload} /> : null}
      {versions.data && versions.data.length === 0 ? <Empty>No specification yet for this product.</Empty> : null}
      <div className="master-detail">
        <ul className="list" aria-label="Versions">
          {versions.data?.map((s) => (
            <li key={s.id}>
              <button type="button" className={`list-item${s.id === shown ? ' active' : ''}`} aria-pressed={s.id === shown} onClick={() => setSelected(s.id)}>
                <strong>Version {s.version}</strong> <span className={`tag tag-${s.status}`}>{label(s.status)}</span>
                <span className="small">{s.title}</span>
              </button>
            </li>
          ))}
        </ul>
        {shown ? <SpecDetail key={`${shown}:${versions.data?.find((v) => v.id === shown)?.status ?? ''}`} id={shown} isQa={isQa} effective={effective} onChanged={reload} /> : null}
      </div>
    </section>
  );
}

function NewDraft({ productId, effective, onDone }: { productId: string; effective: Specification | undefined; onDone: (m: string, id?: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post<Specification>(`/products/${productId}/specifications`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const { start, ...body } = formBody(e.currentTarget);
    if (start === 'template') body.fromTemplate = 'misev-default';
    else body.fromSpecificationId = start;
    const spec = await execute(body);
    if (spec) onDone(`Draft version ${spec.version} created.`, spec.id);
  }
  return (
    <details className="card">
      <summary>New draft version</summary>
      <form ref={formRef} onSubmit={submit} noValidate className="form-grid">
        <FormErrors error={error}>
          <ProblemAlert error={error} form={formRef.current} />
          <Field name="start" label="Start from" kind="select" required defaultValue={effective?.id ?? 'template'}
            options={[...(effective ? [{ value: effective.id, label: `The effective version ${effective.version}` }] : []), { value: 'template', label: 'The default MISEV specification' }]} />
          <Field name="title" label="Title" placeholder="e.g. Release specification v2 (tighter endotoxin)" />
          <Field name="notes" label="Notes" kind="textarea" />
        </FormErrors>
        <div className="form-actions"><Submit pending={pending}>Create draft</Submit></div>
      </form>
    </details>
  );
}

function SpecDetail({ id, isQa, effective, onChanged }: { id: string; isQa: boolean; effective: Specification | undefined; onChanged: (m: string, id?: string) => void }) {
  const spec = useApi<Specification>(`/specifications/${id}`);
  const s = spec.data;
  const compare = useApi<Comparison>(s && s.status === 'draft' && effective ? `/specifications/${id}/compare` : null);
  const [signing, setSigning] = useState(false);
  const [editing, setEditing] = useState(false);
  if (spec.error) return <LoadError error={spec.error} />;
  if (!s) return <Loading what="the specification" />;
  return (
    <article className="card detail" aria-labelledby="spec-title">
      <h2 id="spec-title">Version {s.version}: {s.title} <span className={`tag tag-${s.status}`}>{label(s.status)}</span></h2>
      <Facts items={[['Created', dateTime(s.createdAt)], ['Effective since', s.effectiveAt ? dateTime(s.effectiveAt) : null], ['Notes', s.notes]]} />
      {s.status === 'draft' && isQa ? (
        <div className="button-row">
          <button type="button" className="btn" aria-expanded={editing} onClick={() => setEditing(!editing)}>{editing ? 'Stop editing' : 'Edit limits'}</button>
          <button type="button" className="btn btn-primary" onClick={() => setSigning(true)}>Sign to make effective…</button>
        </div>
      ) : null}
      {compare.data ? <ComparisonView data={compare.data} /> : null}
      {editing && s.criteria ? <CriteriaEditor spec={s} onSaved={() => { setEditing(false); spec.reload(); compare.reload(); onChanged(`Draft version ${s.version} saved.`); }} /> : <CriteriaTable criteria={s.criteria ?? []} />}
      <SignatureDialog open={signing} meaning="approved_specification" onClose={() => setSigning(false)}
        record={<p>Specification <strong>version {s.version}</strong> ({s.criteria?.length ?? 0} lines){effective ? `, replacing version ${effective.version} for new batches` : ''}.</p>}
        onSign={async (body) => {
          await api.post(`/specifications/${s.id}/approve`, body, { credentialCheck: true });
          onChanged(`Version ${s.version} is now effective.`, s.id);
        }} />
    </article>
  );
}

function ComparisonView({ data }: { data: Comparison }) {
  if (!data.comparedWith) return null;
  return (
    <section className="comparison" aria-labelledby="cmp-title">
      <h3 id="cmp-title">Compared with the effective version {data.comparedWith.version}</h3>
      {data.changes.length === 0 ? <p>No differences yet.</p> : (
        <ul>
          {data.changes.map((c) => (
            <li key={`${c.assay}:${c.parameter}`} className={`change change-${c.change}`}>
              <strong>{label(c.change)}</strong> {ASSAY_LABELS[c.assay] ?? c.assay} — {c.label}:{' '}
              {c.change === 'changed' ? <><del>{c.from}</del> → <ins>{c.to}</ins>{c.requiredFrom !== c.requiredTo ? ` (required ${c.requiredFrom ? 'yes' : 'no'} → ${c.requiredTo ? 'yes' : 'no'})` : ''}</> : c.expected}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CriteriaTable({ criteria }: { criteria: CriterionLine[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead><tr><th scope="col">Assay</th><th scope="col">Line</th><th scope="col">Accepts</th><th scope="col">Applies to</th><th scope="col">Required</th></tr></thead>
        <tbody>
          {criteria.map((c) => (
            <tr key={`${c.assay}:${c.parameter}`}>
              <td>{ASSAY_LABELS[c.assay] ?? c.assay}</td>
              <td>{c.label}</td>
              <td>{c.expected ?? describeCriterion(c.criterion)}</td>
              <td>{c.appliesToSource ? label(c.appliesToSource) : 'All sources'}</td>
              <td>{c.required ? <Verdict value="pass">Required</Verdict> : 'Reported'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Edits the limits of range and count lines; other lines are kept as they are. */
function CriteriaEditor({ spec, onSaved }: { spec: Specification; onSaved: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, pending, error } = useCommand((criteria: unknown[]) => api.put(`/specifications/${spec.id}/criteria`, { criteria }));
  const lines = spec.criteria ?? [];
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = formBody(e.currentTarget) as { lines?: Record<string, { min?: number; max?: number; required?: boolean }> };
    const criteria = lines.map((c, i) => {
      const edit = (body.lines as unknown as Record<number, { min?: number; max?: number; required?: boolean }> | undefined)?.[i] ?? {};
      let criterion = c.criterion;
      if (criterion.kind === 'range') {
        const { min: _min, max: _max, ...rest } = criterion;
        criterion = { ...rest, ...(edit.min !== undefined ? { min: edit.min } : {}), ...(edit.max !== undefined ? { max: edit.max } : {}) };
      } else if (criterion.kind === 'min_count' && edit.min !== undefined) criterion = { ...criterion, min: edit.min };
      return { assay: c.assay, parameter: c.parameter, label: c.label, criterion, appliesToSource: c.appliesToSource, required: edit.required ?? c.required };
    });
    if (await execute(criteria)) onSaved();
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <FormErrors error={error}>
        <ProblemAlert error={error} form={formRef.current} />
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Line</th><th scope="col">Minimum</th><th scope="col">Maximum</th><th scope="col">Required</th></tr></thead>
            <tbody>
              {lines.map((c, i) => (
                <tr key={`${c.assay}:${c.parameter}`}>
                  <td>{c.label}<div className="muted small">{c.expected ?? describeCriterion(c.criterion)}</div></td>
                  <td>{c.criterion.kind === 'range' || c.criterion.kind === 'min_count' ? <Field name={`lines.${i}.min`} label={`${c.label} minimum`} kind="number" className="bare" defaultValue={c.criterion.min} unit={c.criterion.kind === 'range' ? c.criterion.unit : undefined} /> : '—'}</td>
                  <td>{c.criterion.kind === 'range' ? <Field name={`lines.${i}.max`} label={`${c.label} maximum`} kind="number" className="bare" defaultValue={c.criterion.max} unit={c.criterion.unit} /> : '—'}</td>
                  <td><Field name={`lines.${i}.required`} label="Required" kind="checkbox" className="bare" defaultChecked={c.required} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </FormErrors>
      <Submit pending={pending}>Save draft</Submit>
    </form>
  );
}
