import { Field } from '../../components/forms';
import { Verdict } from '../../components/ui';
import { type AssayDef, type CriterionLine, describeCriterion, previewVerdict } from '../../lib/assays';
import { num } from '../../lib/format';

export interface DeriveContext {
  /** The batch's current NTA concentration, for the purity ratio. */
  ntaConcentrationPerMl?: number;
}

/** The value a criterion judges: a field, or a value derived the way the API derives it. */
export function criterionValue(assay: string, parameter: string, data: Record<string, unknown>, ctx: DeriveContext): unknown {
  const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
  if (assay === 'protein' && parameter === 'purityParticlesPerUg') {
    const protein = n(data.concentrationUgPerMl);
    return protein && ctx.ntaConcentrationPerMl ? ctx.ntaConcentrationPerMl / protein : undefined;
  }
  if (assay === 'facs' && parameter === 'percentAboveIsotype') {
    const p = n(data.percentPositive);
    const i = n(data.isotypeControlPercent);
    return p !== undefined && i !== undefined ? Math.round((p - i) * 100) / 100 : undefined;
  }
  if (assay === 'qpcr' && parameter === 'referenceCqMax') {
    const refs = ((data.targets as { cq?: number; isReference?: boolean }[] | undefined) ?? []).filter((t) => t.isReference && typeof t.cq === 'number');
    return refs.length ? Math.max(...refs.map((t) => t.cq as number)) : undefined;
  }
  return data[parameter];
}

function markersOf(data: Record<string, unknown>) {
  const rows = (data.markers as { marker?: string; result?: string }[] | undefined) ?? [];
  return rows.filter((m) => m.marker && m.result).map((m) => ({ marker: m.marker as string, result: m.result as string }));
}

/** A criterion's preview verdict for the values typed so far. */
export function PreviewVerdict({ line, assay, data, ctx }: { line: CriterionLine; assay: string; data: Record<string, unknown>; ctx: DeriveContext }) {
  const value = criterionValue(assay, line.parameter, data, ctx);
  const isMarker = line.criterion.kind === 'marker' || line.criterion.kind === 'any_marker_present';
  const verdict = previewVerdict(line.criterion, value, isMarker ? markersOf(data) : undefined);
  return (
    <span className="inline-verdict" data-parameter={line.parameter}>
      {verdict ? <Verdict value={verdict} /> : <span className="verdict verdict-neutral">…</span>}
      <span className="expected">spec {line.expected ?? describeCriterion(line.criterion)}</span>
    </span>
  );
}

/** The assay's data fields (named `data.…`), each with its unit and the spec line that judges it. */
export function AssayFields({ def, criteria, data, ctx, defaults, source }: { def: AssayDef; criteria: CriterionLine[]; data: Record<string, unknown>; ctx: DeriveContext; defaults?: Record<string, unknown>; source: string }) {
  const byParam = new Map(criteria.map((c) => [c.parameter, c]));
  const shownParams = new Set<string>();
  const d = defaults ?? {};
  const fields = def.fields.map((f) => {
    const line = byParam.get(f.name);
    if (line) shownParams.add(f.name);
    const dv = d[f.name];
    return (
      <Field key={f.name} name={`data.${f.name}`} label={f.label} kind={f.kind} unit={f.unit} options={f.options} required={f.required} hint={f.hint}
        defaultValue={dv === undefined || dv === null ? undefined : String(dv)}
        after={line ? <PreviewVerdict line={line} assay={def.assay} data={data} ctx={ctx} /> : undefined} />
    );
  });
  const rest = criteria.filter((c) => !shownParams.has(c.parameter));
  return (
    <>
      {fields}
      {def.rows?.name === 'markers' ? <MarkerRows defaults={(d.markers as MarkerRow[] | undefined) ?? defaultMarkers(source)} /> : null}
      {def.rows?.name === 'targets' ? <TargetRows defaults={(d.targets as TargetRow[] | undefined) ?? DEFAULT_TARGETS} /> : null}
      {rest.length ? (
        <div className="spec-preview" aria-live="polite">
          <h4>Specification lines judged from these values</h4>
          <ul>
            {rest.map((line) => {
              const value = criterionValue(def.assay, line.parameter, data, ctx);
              return (
                <li key={line.parameter}>
                  {line.label}: {value !== undefined && line.criterion.kind !== 'marker' && line.criterion.kind !== 'any_marker_present' ? <strong>{num(value, line.criterion.kind === 'range' ? line.criterion.unit : undefined)} </strong> : null}
                  <PreviewVerdict line={line} assay={def.assay} data={data} ctx={ctx} />
                </li>
              );
            })}
          </ul>
          {def.assay === 'protein' && !ctx.ntaConcentrationPerMl ? <p className="muted small">The purity ratio needs the batch's NTA concentration: record NTA first.</p> : null}
        </div>
      ) : null}
    </>
  );
}

interface MarkerRow { marker: string; result?: string; bandSizeKda?: number; antibody?: string }
interface TargetRow { target: string; cq?: number; isReference: boolean }

function defaultMarkers(source: string): MarkerRow[] {
  return source === 'serum'
    ? [{ marker: 'CD63' }, { marker: 'TSG101' }, { marker: 'ApoA1' }, { marker: 'albumin' }, { marker: 'CD9' }, { marker: 'CD81' }]
    : [{ marker: 'CD63' }, { marker: 'TSG101' }, { marker: 'ALIX' }, { marker: 'calnexin' }, { marker: 'CD9' }, { marker: 'CD81' }];
}

const DEFAULT_TARGETS: TargetRow[] = [
  { target: 'miR-16-5p', isReference: true },
  { target: 'miR-21-5p', isReference: false },
  { target: '', isReference: false },
  { target: '', isReference: false },
];

function MarkerRows({ defaults }: { defaults: MarkerRow[] }) {
  const rows = [...defaults, { marker: '' }, { marker: '' }];
  return (
    <fieldset className="rows">
      <legend>Markers (leave the result empty for markers not run)</legend>
      {rows.map((m, i) => (
        <div className="row" key={i}>
          <Field name={`data.markers.${i}.marker`} label={`Marker ${i + 1}`} defaultValue={m.marker} />
          <Field name={`data.markers.${i}.result`} label="Result" kind="select" options={['present', 'absent', 'depleted']} defaultValue={m.result} />
          <Field name={`data.markers.${i}.bandSizeKda`} label="Band" kind="number" unit="kDa" defaultValue={m.bandSizeKda} />
        </div>
      ))}
    </fieldset>
  );
}

function TargetRows({ defaults }: { defaults: TargetRow[] }) {
  const rows = [...defaults, { target: '', isReference: false }];
  return (
    <fieldset className="rows">
      <legend>Targets (Cq empty when not detected)</legend>
      {rows.map((t, i) => (
        <div className="row" key={i}>
          <Field name={`data.targets.${i}.target`} label={`Target ${i + 1}`} defaultValue={t.target} />
          <Field name={`data.targets.${i}.cq`} label="Cq" kind="number" defaultValue={t.cq} />
          <Field name={`data.targets.${i}.isReference`} label="Reference / spike-in" kind="checkbox" defaultChecked={t.isReference} />
        </div>
      ))}
    </fieldset>
  );
}

/** Drops marker rows without a result and target rows without a name before sending. */
export function cleanRows(body: Record<string, unknown>): Record<string, unknown> {
  const data = body.data as Record<string, unknown> | undefined;
  if (!data) return body;
  if (Array.isArray(data.markers)) data.markers = (data.markers as MarkerRow[]).filter((m) => m && m.result);
  if (Array.isArray(data.targets)) data.targets = (data.targets as TargetRow[]).filter((t) => t && t.target);
  return body;
}
