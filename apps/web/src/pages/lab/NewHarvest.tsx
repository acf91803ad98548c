import { type FormEvent, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { Field, FormErrors, formBody, localNow, ProblemAlert, Submit } from '../../components/forms';
import { LoadError, PageHeader } from '../../components/ui';
import { api } from '../../lib/api';
import { batchPath } from '../../lib/areas';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';
import type { Product } from './types';

const ORIGINS: Record<string, string[]> = {
  cell_culture_media: ['human_cell_derived', 'platelet_derived', 'plant_derived', 'synthetic'],
  serum: ['human_serum'],
};

/** Harvest opens a batch: cell-culture media or serum, with the facts each needs. */
export function NewHarvest() {
  useDocumentTitle('Record a harvest');
  const navigate = useNavigate();
  const formRef = useRef<HTMLFormElement>(null);
  const products = useApi<Product[]>('/products');
  const [source, setSource] = useState<'cell_culture_media' | 'serum'>('cell_culture_media');
  const [cellType, setCellType] = useState('msc');
  const { execute, pending, error } = useCommand((body: Record<string, unknown>) => api.post<{ id: string }>('/batches', body));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const created = await execute(formBody(e.currentTarget));
    if (created) navigate(batchPath(created.id), { state: { flash: 'Harvest recorded: the batch is open.' } });
  }

  return (
    <section>
      <PageHeader title="Record a harvest" sub="The starting material opens a new batch." />
      <LoadError error={products.error} onRetry={products.reload} />
      <form ref={formRef} onSubmit={submit} noValidate className="card form-grid">
        <FormErrors error={error}>
          <ProblemAlert error={error} form={formRef.current} />
          <Field name="productId" label="Product" kind="select" required options={(products.data ?? []).map((p) => ({ value: p.id, label: `${p.code} — ${p.name}` }))} defaultValue={products.data?.length === 1 ? products.data[0].id : undefined} key={products.data?.length ?? 0} />
          <Field name="batchNumber" label="Batch number" hint="Leave empty to get the next EXB-YYYY-NNNNN" />
          <fieldset className="radio-group">
            <legend>Starting material</legend>
            <label><input type="radio" name="sourceType" data-kind="text" value="cell_culture_media" checked={source === 'cell_culture_media'} onChange={() => setSource('cell_culture_media')} /> Cell-culture media</label>
            <label><input type="radio" name="sourceType" data-kind="text" value="serum" checked={source === 'serum'} onChange={() => setSource('serum')} /> Serum</label>
          </fieldset>
          <Field key={`origin-${source}`} name="originClass" label="Declared origin" kind="select" required options={ORIGINS[source]} defaultValue={ORIGINS[source][0]} />
          <Field name="harvestedAt" label="Harvested at" kind="datetime" required defaultValue={localNow(-30)} />
          {source === 'cell_culture_media' ? (
            <fieldset className="sub-form">
              <legend>Cell culture</legend>
              <Field name="cellCulture.producingCellType" label="Producing cell type" kind="select" required options={['msc', 'hela', 'hek293', 'dermal_fibroblast', 'keratinocyte', 'plant_cell', 'other']} defaultValue="msc" onChange={setCellType} />
              {cellType === 'msc' ? <Field name="cellCulture.sourceTissue" label="Source tissue" kind="select" required options={['adipose', 'umbilical_cord', 'bone_marrow', 'placenta', 'dental_pulp', 'other']} /> : null}
              {cellType === 'other' ? <Field name="cellCulture.cellLineDescription" label="Cell line" required /> : null}
              <Field name="cellCulture.passageNumber" label="Passage number" kind="number" required inputMode="numeric" />
              <Field name="cellCulture.cellCount" label="Viable cell count" kind="number" hint="Give this or the confluence" />
              <Field name="cellCulture.confluencePercent" label="Confluence" kind="number" unit="%" />
              <Field name="cellCulture.cultureDays" label="Culture days" kind="number" required inputMode="numeric" />
              <Field name="cellCulture.mediaVolumeMl" label="Conditioned media volume" kind="number" unit="mL" required />
              <Field name="cellCulture.evDepletedMedia" label="Serum-free or EV-depleted media" kind="checkbox" defaultChecked />
            </fieldset>
          ) : (
            <fieldset className="sub-form">
              <legend>Serum</legend>
              <Field name="serum.donorPseudonym" label="Donor pseudonym" required hint="A pseudonym, never a name (e.g. DNR-7F3K2)" />
              <Field name="serum.consentReference" label="Consent reference" required />
              <Field name="serum.collectionDate" label="Collection date" kind="date" required />
              <Field name="serum.volumeMl" label="Serum volume" kind="number" unit="mL" required />
              <Field name="serum.haemolysisCheck" label="Haemolysis check" kind="select" required options={['passed', 'failed']} />
            </fieldset>
          )}
          <Field name="notes" label="Notes" kind="textarea" />
        </FormErrors>
        <div className="form-actions"><Submit pending={pending}>Record harvest</Submit></div>
      </form>
    </section>
  );
}
