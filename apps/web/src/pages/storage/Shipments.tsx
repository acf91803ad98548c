import { type FormEvent, useRef, useState } from 'react';
import { CommandForm } from '../../components/CommandForm';
import { Field, FormErrors, ProblemAlert, Submit } from '../../components/forms';
import { TemperatureChart } from '../../components/lazyCharts';
import { Empty, Facts, LoadError, Loading, Verdict } from '../../components/ui';
import { api, type Page } from '../../lib/api';
import { date, dateTime, label } from '../../lib/format';
import { useApi, useCommand } from '../../lib/hooks';
import type { Shipment } from '../lab/types';

interface Logger { id: string; code: string; kind: string; active: boolean }

/** An entry of the clinic directory (GET /clinics/directory). */
interface ClinicEntry { id: string; code: string; name: string; country: string | null; active: boolean }

/** Shipments from the lab: create, pack by scanning serials, ship; the logger's temperature on the way. */
export function Shipments({ canEdit, onChanged }: { canEdit: boolean; onChanged: (m: string) => void }) {
  const list = useApi<Page<Shipment>>('/shipments?limit=100');
  const loggers = useApi<Logger[]>('/loggers');
  const clinics = useApi<ClinicEntry[]>(canEdit ? '/clinics/directory' : null);
  const [selected, setSelected] = useState<string>();
  const shown = selected ?? list.data?.items[0]?.id;
  return (
    <section aria-labelledby="shipments-title">
      <h2 id="shipments-title">Shipments</h2>
      <LoadError error={list.error} onRetry={list.reload} />
      {!list.data && !list.error ? <Loading what="shipments" /> : null}
      {list.data && list.data.items.length === 0 ? <Empty>No shipments yet.</Empty> : null}
      <div className="master-detail">
        <ul className="list" aria-label="Shipments">
          {list.data?.items.map((s) => (
            <li key={s.id}>
              <button type="button" className={`list-item${s.id === shown ? ' active' : ''}`} aria-pressed={s.id === shown} onClick={() => setSelected(s.id)}>
                <strong>{s.number}</strong> <span>{s.clinicName} · {label(s.status)} · {s.vialCount} vial{s.vialCount === 1 ? '' : 's'}</span>
              </button>
            </li>
          ))}
        </ul>
        {shown ? <ShipmentDetail key={shown} id={shown} canEdit={canEdit} onChanged={(m) => { list.reload(); onChanged(m); }} /> : null}
      </div>
      {canEdit ? (
        <CommandForm id="new-shipment" level={3} title="New shipment" submitLabel="Create shipment" send={(body) => api.post<Shipment>('/shipments', body)}
          onSaved={(s) => { setSelected(s.id); list.reload(); onChanged(`Shipment ${s.number} created: scan the vials to pack.`); }}>
          <LoadError error={clinics.error} onRetry={clinics.reload} />
          <div className="form-grid">
            <Field name="clinicId" label="Clinic" kind="select" required className="field-wide" placeholder={clinics.data ? '— choose a clinic —' : 'Loading clinics…'}
              options={(clinics.data ?? []).filter((c) => c.active).map((c) => ({ value: c.id, label: `${c.code} — ${c.name}${c.country ? ` (${c.country})` : ''}` }))}
              hint={clinics.data && !clinics.data.some((c) => c.active) ? 'No active clinic yet: an administrator adds clinics.' : undefined} />
            <Field name="loggerId" label="Shipping logger" kind="select" options={(loggers.data ?? []).filter((l) => l.kind === 'shipping' && l.active).map((l) => ({ value: l.id, label: l.code }))} placeholder="— none —" />
          </div>
        </CommandForm>
      ) : null}
    </section>
  );
}

function ShipmentDetail({ id, canEdit, onChanged }: { id: string; canEdit: boolean; onChanged: (m: string) => void }) {
  const shipment = useApi<Shipment>(`/shipments/${id}`);
  const s = shipment.data;
  const formRef = useRef<HTMLFormElement>(null);
  const pack = useCommand((serials: string[]) => api.post(`/shipments/${id}/vials`, { serials }));
  const ship = useCommand(() => api.post(`/shipments/${id}/ship`, {}));
  const readings = useApi<{ readings: { recordedAt: string; temperatureC: number }[] }>(s?.loggerId ? `/loggers/${s.loggerId}/readings${s.shippedAt ? `?from=${encodeURIComponent(s.shippedAt)}` : ''}` : null);
  const excursions = useApi<Page<{ startedAt: string; endedAt: string | null }>>(s?.loggerId ? `/excursions?loggerId=${s.loggerId}` : null);
  if (shipment.error) return <LoadError error={shipment.error} />;
  if (!s) return <Loading what="the shipment" />;
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const serials = String(new FormData(form).get('serials') ?? '').toUpperCase().split(/[\s,;]+/).filter(Boolean);
    if (await pack.execute(serials)) {
      form.reset();
      shipment.reload();
      onChanged(`${serials.length} vial${serials.length === 1 ? '' : 's'} packed into ${s!.number}.`);
    }
  }
  return (
    <article className="card detail" aria-labelledby="shipment-title">
      <h3 id="shipment-title">{s.number} to {s.clinicName}</h3>
      <Facts items={[['Status', label(s.status)], ['Shipped', s.shippedAt ? dateTime(s.shippedAt) : null], ['Received', s.receivedAt ? dateTime(s.receivedAt) : null], ['Arrival', s.arrivalStatus ? label(s.arrivalStatus) : null], ['Logger', s.loggerCode], ['Alarm limit', `${s.alarmHighC} °C`]]} />
      {s.vials?.length ? (
        <ul className="plain">{s.vials.map((v) => <li key={v.serial}><span className="mono">{v.serial}</span> {v.lotNumber ? `lot ${v.lotNumber}` : ''} {v.expiryDate ? `exp. ${date(v.expiryDate)}` : ''} {v.quarantined ? <Verdict value="fail">Quarantined</Verdict> : label(v.status)}</li>)}</ul>
      ) : <Empty>No vials packed.</Empty>}
      {canEdit && s.status === 'packing' ? (
        <>
          <form ref={formRef} onSubmit={submit} noValidate>
            <FormErrors error={pack.error}>
              <ProblemAlert error={pack.error} form={formRef.current} title="Not packed" />
              {Array.isArray(pack.error?.problem.refused) ? <ul>{(pack.error!.problem.refused as { serial: string; message: string }[]).map((r) => <li key={r.serial}>{r.message}</li>)}</ul> : null}
              <Field name="serials" label="Scan vial serials" required hint="One per scan; several separated by spaces or commas" autoComplete="off" />
            </FormErrors>
            <Submit pending={pack.pending} className="btn">Pack</Submit>
          </form>
          <ProblemAlert error={ship.error} title="Not shipped" />
          <button type="button" className="btn btn-primary" disabled={ship.pending || s.vialCount === 0} onClick={async () => { if (await ship.execute()) { shipment.reload(); onChanged(`${s.number} shipped.`); } }}>Ship {s.number}</button>
        </>
      ) : null}
      {readings.data ? (
        <TemperatureChart title={`Shipment ${s.number}, logger ${s.loggerCode}`} readings={readings.data.readings.map((r) => ({ at: r.recordedAt, c: r.temperatureC }))} alarmHighC={s.alarmHighC}
          excursions={(excursions.data?.items ?? []).map((x) => ({ start: x.startedAt, end: x.endedAt }))} />
      ) : null}
    </article>
  );
}
