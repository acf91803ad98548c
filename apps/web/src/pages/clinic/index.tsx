import { type FormEvent, useRef, useState } from 'react';
import { Field, FormErrors, ProblemAlert, Submit } from '../../components/forms';
import { Empty, Facts, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api, type Page } from '../../lib/api';
import { date, dateTime, label } from '../../lib/format';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';
import type { Shipment } from '../lab/types';

/** A clinic's shipments and vials: confirm receipt, record use, check any vial on the public page. */
export function ClinicHome() {
  useDocumentTitle('Shipments and vials');
  const list = useApi<Page<Shipment>>('/shipments?limit=100');
  const [selected, setSelected] = useState<string>();
  const [flash, setFlash] = useState<string>();
  const shown = selected ?? list.data?.items.find((s) => s.status === 'shipped')?.id ?? list.data?.items[0]?.id;
  return (
    <section>
      <PageHeader title="Shipments and vials" sub="Confirm receipt when a shipment arrives, record each vial when it is used. For topical use after microneedling or laser only — never injection.">
        <a className="btn" href="/verify">Verify a vial</a>
      </PageHeader>
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={list.error} onRetry={list.reload} />
      {!list.data && !list.error ? <Loading what="shipments" /> : null}
      {list.data && list.data.items.length === 0 ? <Empty>No shipments for your clinic yet.</Empty> : null}
      <div className="master-detail">
        <ul className="list" aria-label="Shipments">
          {list.data?.items.map((s) => (
            <li key={s.id}>
              <button type="button" className={`list-item${s.id === shown ? ' active' : ''}`} aria-pressed={s.id === shown} onClick={() => setSelected(s.id)}>
                <strong>{s.number}</strong> <span>{label(s.status)} · {s.vialCount} vial{s.vialCount === 1 ? '' : 's'}</span>
                <span className="small muted">{s.shippedAt ? `shipped ${dateTime(s.shippedAt)}` : `created ${dateTime(s.createdAt)}`}</span>
              </button>
            </li>
          ))}
        </ul>
        {shown ? <ShipmentDetail key={shown} id={shown} onChanged={(m) => { setFlash(m); list.reload(); }} /> : null}
      </div>
    </section>
  );
}

function ShipmentDetail({ id, onChanged }: { id: string; onChanged: (m: string) => void }) {
  const shipment = useApi<Shipment>(`/shipments/${id}`);
  const s = shipment.data;
  const formRef = useRef<HTMLFormElement>(null);
  const receive = useCommand((body: Record<string, unknown>) => api.post(`/shipments/${id}/receive`, body));
  const use = useCommand((serial: string) => api.post(`/clinic/vials/${serial}/use`, {}));
  if (shipment.error) return <LoadError error={shipment.error} />;
  if (!s) return <Loading what="the shipment" />;
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const notes = String(new FormData(e.currentTarget).get('notes') ?? '').trim();
    if (await receive.execute(notes ? { notes } : {})) {
      shipment.reload();
      onChanged(`${s!.number} received.`);
    }
  }
  return (
    <article className="card detail" aria-labelledby="ship-title">
      <h2 id="ship-title">{s.number}</h2>
      <Facts items={[
        ['Status', label(s.status)],
        ['Shipped', s.shippedAt ? dateTime(s.shippedAt) : null],
        ['Received', s.receivedAt ? dateTime(s.receivedAt) : null],
        ['Arrival temperature', s.arrivalStatus ? <Verdict key="a" value={s.arrivalStatus === 'ok' || s.arrivalStatus === 'within_limits' ? 'pass' : s.arrivalStatus === 'excursion' ? 'fail' : 'warn'}>{label(s.arrivalStatus)}</Verdict> : null],
        ['Logger', s.loggerCode],
        ['Notes', s.receiptNotes],
      ]} />
      {s.status === 'shipped' ? (
        <form ref={formRef} onSubmit={submit} noValidate className="card">
          <h3>Confirm receipt</h3>
          <FormErrors error={receive.error}>
            <ProblemAlert error={receive.error} form={formRef.current} />
            <Field name="notes" label="Condition on arrival" kind="textarea" placeholder="e.g. dry ice present, container intact" />
          </FormErrors>
          <Submit pending={receive.pending}>Confirm receipt</Submit>
        </form>
      ) : null}
      <h3>Vials</h3>
      <ProblemAlert error={use.error} title="Not recorded" />
      {s.vials?.length ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Serial</th><th scope="col">Lot</th><th scope="col">Expiry</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {s.vials.map((v) => (
                <tr key={v.serial}>
                  <td className="mono">{v.serial}</td>
                  <td>{v.lotNumber ?? '—'}</td>
                  <td>{date(v.expiryDate)}</td>
                  <td>{v.quarantined ? <Verdict value="fail">Quarantined — do not use</Verdict> : label(v.status)}</td>
                  <td className="button-row">
                    <a className="btn btn-small" href={`/verify?code=${encodeURIComponent(v.serial)}`}>Verify</a>
                    {s.status === 'received' && v.status !== 'used' && !v.quarantined ? (
                      <button type="button" className="btn btn-small btn-primary" disabled={use.pending} onClick={async () => { if (await use.execute(v.serial)) { shipment.reload(); onChanged(`Vial ${v.serial} recorded as used.`); } }}>Record use</button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : <Empty>No vials in this shipment.</Empty>}
    </article>
  );
}
