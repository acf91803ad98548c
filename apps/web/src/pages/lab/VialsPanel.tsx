import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Field, FormErrors, ProblemAlert, Submit } from '../../components/forms';
import { Empty, LoadError, Loading, Verdict } from '../../components/ui';
import { api, download, session } from '../../lib/api';
import { date, label, num } from '../../lib/format';
import { useApi, useCommand } from '../../lib/hooks';
import type { BatchDetail } from './types';

export interface VialRow {
  id: string;
  serial: string;
  purpose: string;
  fillId: string | null;
  volumeMl: number;
  expiryDate: string;
  status: string;
  quarantined: boolean;
  freezeThawCycles: number;
  boxId: string | null;
  row: number | null;
  col: number | null;
}

/** Fill a released batch into single-use vials, print their labels, see where each vial is. */
export function VialsPanel({ batch, canEdit }: { batch: BatchDetail; canEdit: boolean }) {
  const vials = useApi<VialRow[]>(`/batches/${batch.id}/vials`);
  const formRef = useRef<HTMLFormElement>(null);
  const fill = useCommand((body: Record<string, unknown>) => api.post<{ id: string; vials: VialRow[] }>(`/batches/${batch.id}/fills`, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const count = Number(data.get('count'));
    const volume = Number(String(data.get('volumeMl') ?? '').replace(',', '.'));
    const body = {
      solutionName: String(data.get('solutionName') ?? '').trim(),
      solutionLot: String(data.get('solutionLot') ?? '').trim(),
      vials: Array.from({ length: Number.isInteger(count) && count > 0 && count <= 500 ? count : 1 }, () => ({ volumeMl: volume })),
    };
    if (await fill.execute(body)) vials.reload();
  }
  const fills = [...new Set((vials.data ?? []).map((v) => v.fillId).filter(Boolean))] as string[];
  return (
    <div>
      <h2>Vials</h2>
      <LoadError error={vials.error} onRetry={vials.reload} />
      {!vials.data && !vials.error ? <Loading what="vials" /> : null}
      {vials.data && vials.data.length === 0 ? <Empty>No vials filled yet.</Empty> : null}
      {fills.length ? (
        <div className="button-row">
          {fills.map((f, i) => <button key={f} type="button" className="btn" onClick={() => download(`/fills/${f}/labels.pdf`, `labels-${batch.lotNumber}-${i + 1}.pdf`).catch(() => undefined)}>Print labels, fill {i + 1} (PDF)</button>)}
        </div>
      ) : null}
      {vials.data?.length ? <LabelPreview serial={vials.data[0].serial} /> : null}
      {vials.data?.length ? (
        <div className="table-wrap">
          <table data-testid="vials">
            <thead><tr><th scope="col">Serial</th><th scope="col">Volume</th><th scope="col">Expiry</th><th scope="col">Status</th><th scope="col">Position</th><th scope="col">Freeze–thaw</th></tr></thead>
            <tbody>
              {vials.data.map((v) => (
                <tr key={v.id}>
                  <td className="mono">{v.serial}</td>
                  <td>{num(v.volumeMl, 'mL')}</td>
                  <td>{date(v.expiryDate)}</td>
                  <td>{v.quarantined ? <Verdict value="fail">Quarantined</Verdict> : label(v.status)}</td>
                  <td>{v.boxId ? `row ${v.row}, col ${v.col}` : '—'}</td>
                  <td>{v.freezeThawCycles}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {canEdit && batch.state === 'released' ? (
        <form ref={formRef} onSubmit={submit} noValidate className="card" aria-labelledby="fill-title">
          <h3 id="fill-title">Fill vials</h3>
          <p className="muted small">Each dose in its own single-use vial, reconstituted in a hyaluronic-acid solution. The total stays within the batch's yield ({num(batch.yieldVolumeMl, 'mL')}).</p>
          <FormErrors error={fill.error}>
            <ProblemAlert error={fill.error} form={formRef.current} />
            <div className="form-grid">
              <Field name="solutionName" label="Solution" required defaultValue="HA 1% reconstitution solution" />
              <Field name="solutionLot" label="Solution lot" required />
              <Field name="count" label="Number of vials" kind="number" inputMode="numeric" required defaultValue="4" />
              <Field name="volumeMl" label="Volume per vial" kind="number" unit="mL" required defaultValue="0.5" />
            </div>
          </FormErrors>
          <Submit pending={fill.pending}>Fill vials</Submit>
        </form>
      ) : null}
    </div>
  );
}

interface LabelContent {
  humanReadable: string;
  digitalLink: string;
  lines: string[];
}

/** The label of one vial as printed (GS1 DataMatrix PNG from the API) with its text lines. */
function LabelPreview({ serial }: { serial: string }) {
  const content = useApi<LabelContent>(`/vials/${serial}/label`);
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let url: string | undefined;
    const controller = new AbortController();
    fetch(`/vials/${serial}/label.png`, { headers: { authorization: `Bearer ${session.token() ?? ''}` }, signal: controller.signal })
      .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(String(res.status)))))
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch(() => undefined);
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [serial]);
  if (!content.data) return null;
  return (
    <figure className="label-preview card" data-testid="label-preview">
      {src ? <img src={src} alt={`Label of vial ${serial}: ${content.data.humanReadable}`} /> : null}
      <figcaption>
        <strong>Label, vial {serial}</strong>
        <ul className="plain small">{content.data.lines.map((l) => <li key={l}>{l}</li>)}</ul>
        <code className="hash small">{content.data.humanReadable}</code>
      </figcaption>
    </figure>
  );
}
