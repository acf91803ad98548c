import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { Field, FormErrors, formBody, ProblemAlert, Submit } from '../../components/forms';
import { TemperatureChart } from '../../components/lazyCharts';
import { SignatureDialog } from '../../components/SignatureDialog';
import { Empty, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api, type Page } from '../../lib/api';
import { useAuth } from '../../lib/auth';
import { date, dateTime, label, num } from '../../lib/format';
import { useApi, useCommand, useDocumentTitle } from '../../lib/hooks';
import { Shipments } from './Shipments';

interface BoxNode { id: string; code: string; rows: number; cols: number; occupied: number }
interface RackNode { id: string; code: string; boxes: BoxNode[] }
interface FreezerNode { id: string; code: string; name: string; setPointC: number; alarmHighC: number; racks: RackNode[] }
interface SiteNode { id: string; code: string; name: string; freezers: FreezerNode[] }
interface Occupant { row: number; col: number; serial: string; batchNumber: string; lotNumber: string | null; expiryDate: string; status: string; quarantined: boolean; since: string; position: string }
interface BoxMap { id: string; code: string; rows: number; cols: number; rackCode: string; freezerCode: string; freezerId: string; siteCode: string; occupied: number; free: number; grid: (Occupant | null)[][] }
interface Logger { id: string; code: string; kind: string; freezerId: string | null; lastReadingAt: string | null }
interface Excursion { id: string; number?: string; status?: string; startedAt?: string; endedAt?: string | null; peakC?: number; freezerId?: string | null; loggerId?: string | null; shipmentId?: string | null; [k: string]: unknown }

/** Freezer → rack → box navigation, the box map, scanning vials in and out, and the freezer's temperature. */
export function Storage() {
  useDocumentTitle('Storage');
  const { user } = useAuth();
  const tree = useApi<SiteNode[]>('/storage/sites');
  const [boxId, setBoxId] = useState<string>();
  const [freezerId, setFreezerId] = useState<string>();
  const [flash, setFlash] = useState<string>();
  const box = useApi<BoxMap>(boxId ? `/storage/boxes/${boxId}` : null);
  const [cell, setCell] = useState<{ row: number; col: number }>();
  useEffect(() => {
    const first = tree.data?.[0]?.freezers[0];
    if (!freezerId && first) setFreezerId(first.id);
    if (!boxId && first?.racks[0]?.boxes[0]) setBoxId(first.racks[0].boxes[0].id);
  }, [tree.data, freezerId, boxId]);
  const freezer = tree.data?.flatMap((s) => s.freezers).find((f) => f.id === freezerId);
  const done = (m: string) => {
    setFlash(m);
    tree.reload();
    box.reload();
  };
  const isTech = user?.role === 'technician';
  return (
    <section>
      <PageHeader title="Storage" sub="Sites, freezers, racks and boxes; scan a serial to store, move or take out a vial." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={tree.error} onRetry={tree.reload} />
      {!tree.data && !tree.error ? <Loading what="storage" /> : null}
      {tree.data && tree.data.length === 0 ? <Empty>No storage site yet: add one below.</Empty> : null}
      <div className="master-detail">
        <nav aria-label="Freezers, racks and boxes">
          <ul className="tree">
            {tree.data?.map((site) => (
              <li key={site.id}>
                <strong>{site.code}</strong> {site.name}
                <ul className="tree">
                  {site.freezers.map((f) => (
                    <li key={f.id}>
                      <button type="button" className={`btn btn-small${f.id === freezerId ? ' btn-primary' : ''}`} aria-pressed={f.id === freezerId} onClick={() => setFreezerId(f.id)}>
                        Freezer {f.code} ({num(f.setPointC, '°C')})
                      </button>
                      <ul className="tree">
                        {f.racks.map((r) => (
                          <li key={r.id}>
                            Rack {r.code}
                            <ul className="tree">
                              {r.boxes.map((b) => (
                                <li key={b.id}>
                                  <button type="button" className={`btn btn-small${b.id === boxId ? ' btn-primary' : ''}`} aria-pressed={b.id === boxId} onClick={() => { setBoxId(b.id); setFreezerId(f.id); setCell(undefined); }}>
                                    Box {b.code}: {b.occupied}/{b.rows * b.cols}
                                  </button>
                                </li>
                              ))}
                            </ul>
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </nav>
        <div>
          {box.data ? (
            <section aria-labelledby="box-title" className="card">
              <h2 id="box-title">Box {box.data.code} <span className="muted small">{box.data.siteCode} › {box.data.freezerCode} › {box.data.rackCode}</span></h2>
              <p><strong>{box.data.occupied}</strong> occupied, <strong>{box.data.free}</strong> free</p>
              <BoxGrid map={box.data} selected={cell} onSelect={setCell} />
              {isTech ? <ScanForm boxId={box.data.id} cell={cell} onDone={(m) => { setCell(undefined); done(m); }} /> : null}
            </section>
          ) : boxId ? <Loading what="the box" /> : null}
          {freezer ? <FreezerTemperature freezer={freezer} /> : null}
        </div>
      </div>
      <Excursions canDispose={user?.role === 'qa_manager'} onChanged={done} />
      <Shipments canEdit={isTech} onChanged={done} />
      {tree.data ? <SetupForms sites={tree.data} onDone={done} /> : null}
    </section>
  );
}

const ROW_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The box occupancy map: each position a button, occupied ones filled and labelled with the serial. */
function BoxGrid({ map, selected, onSelect }: { map: BoxMap; selected?: { row: number; col: number }; onSelect: (c: { row: number; col: number }) => void }) {
  const [info, setInfo] = useState<Occupant>();
  return (
    <>
      <div className="legend" aria-hidden="true"><span className="l-free">free</span><span className="l-occ">occupied</span><span className="l-q">quarantined</span></div>
      <div className="box-map" role="grid" aria-label={`Box ${map.code}: ${map.rows} rows by ${map.cols} columns`} data-testid="box-map" style={{ gridTemplateColumns: `1.4rem repeat(${map.cols}, 1fr)` }}>
        <span />
        {Array.from({ length: map.cols }, (_, c) => <span key={c} className="axis">{c + 1}</span>)}
        {map.grid.map((row, r) => (
          <div key={r} role="row" style={{ display: 'contents' }}>
            <span className="axis">{ROW_LETTERS[r]}</span>
            {row.map((o, c) => {
              const pos = `${ROW_LETTERS[r]}${c + 1}`;
              const isSel = selected?.row === r + 1 && selected?.col === c + 1;
              return (
                <button key={c} type="button" role="gridcell" className={`cell${o ? ' occupied' : ''}${o?.quarantined ? ' quarantined' : ''}${isSel ? ' selected' : ''}`}
                  aria-label={o ? `${pos}: vial ${o.serial}, batch ${o.batchNumber}${o.quarantined ? ', quarantined' : ''}` : `${pos}: free`}
                  aria-pressed={isSel}
                  onClick={() => { onSelect({ row: r + 1, col: c + 1 }); setInfo(o ?? undefined); }}>
                  {o ? (o.quarantined ? '!' : '●') : ''}
                </button>
              );
            })}
          </div>
        ))}
      </div>
      {info ? (
        <p className="small" role="status">Position {info.position}: vial <strong className="mono">{info.serial}</strong>, batch {info.batchNumber}{info.lotNumber ? ` lot ${info.lotNumber}` : ''}, expires {date(info.expiryDate)}, {label(info.status)} since {dateTime(info.since)}{info.quarantined ? ' — QUARANTINED' : ''}</p>
      ) : selected ? <p className="small" role="status">Position {ROW_LETTERS[selected.row - 1]}{selected.col} is free: scan a vial to store it here.</p> : null}
    </>
  );
}

/** Scan (a barcode scanner types the serial and Enter) or type a serial; store, move or take out. */
function ScanForm({ boxId, cell, onDone }: { boxId: string; cell?: { row: number; col: number }; onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [action, setAction] = useState<'store' | 'move' | 'retrieve'>('store');
  const cmd = useCommand((path: string, body: Record<string, unknown>) => api.post<{ position?: string; serial?: string }>(path, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const body = formBody(form);
    const serial = String(body.serial ?? '').toUpperCase();
    const res = action === 'retrieve'
      ? await cmd.execute('/storage/retrieve', { serial, ...(body.reason ? { reason: body.reason } : {}) })
      : await cmd.execute(`/storage/${action}`, { serial, boxId, row: body.row, col: body.col });
    if (res) {
      (form.elements.namedItem('serial') as HTMLInputElement).value = '';
      onDone(action === 'retrieve' ? `Vial ${serial} taken out.` : `Vial ${serial} ${action === 'store' ? 'stored' : 'moved'} at ${res.position ?? ''}.`);
    }
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-labelledby="scan-title" key={`${cell?.row}-${cell?.col}`}>
      <h3 id="scan-title">Scan a vial</h3>
      <fieldset className="radio-group">
        <legend>Action</legend>
        {(['store', 'move', 'retrieve'] as const).map((a) => <label key={a}><input type="radio" name="action" data-skip checked={action === a} onChange={() => setAction(a)} /> {a === 'retrieve' ? 'Take out' : label(a)}</label>)}
      </fieldset>
      <FormErrors error={cmd.error}>
        <ProblemAlert error={cmd.error} form={formRef.current} />
        <div className="form-grid">
          <Field name="serial" label="Vial serial" required autoFocus autoComplete="off" placeholder="Scan or type" />
          {action !== 'retrieve' ? (
            <>
              <Field name="row" label="Row" kind="number" inputMode="numeric" required defaultValue={cell?.row} hint="A = 1" />
              <Field name="col" label="Column" kind="number" inputMode="numeric" required defaultValue={cell?.col} />
            </>
          ) : <Field name="reason" label="Reason" />}
        </div>
      </FormErrors>
      <Submit pending={cmd.pending}>{action === 'retrieve' ? 'Take out' : label(action)}</Submit>
    </form>
  );
}

function FreezerTemperature({ freezer }: { freezer: FreezerNode }) {
  const detail = useApi<{ loggers: Logger[] }>(`/storage/freezers/${freezer.id}`);
  const loggerId = detail.data?.loggers[0]?.id;
  const readings = useApi<{ readings: { recordedAt: string; temperatureC: number }[] }>(loggerId ? `/loggers/${loggerId}/readings` : null);
  const excursions = useApi<Page<Excursion>>(`/excursions?freezerId=${freezer.id}&limit=200`);
  const spans = useMemo(() => (excursions.data?.items ?? []).map((e) => ({ start: String(e.startedAt ?? e.openedAt ?? ''), end: (e.endedAt ?? e.closedAt ?? null) as string | null })).filter((s) => s.start), [excursions.data]);
  return (
    <section className="card" aria-labelledby="temp-title">
      <h2 id="temp-title">Freezer {freezer.code} temperature</h2>
      <p className="small">Set point {num(freezer.setPointC, '°C')}, alarm above {num(freezer.alarmHighC, '°C')}.</p>
      {detail.data && !loggerId ? <Empty>No logger is attached to this freezer.</Empty> : null}
      {readings.data ? <TemperatureChart title={`Freezer ${freezer.code}`} readings={readings.data.readings.map((r) => ({ at: r.recordedAt, c: r.temperatureC }))} alarmHighC={freezer.alarmHighC} excursions={spans} /> : loggerId ? <Loading what="readings" /> : null}
    </section>
  );
}

function Excursions({ canDispose, onChanged }: { canDispose: boolean; onChanged: (m: string) => void }) {
  const list = useApi<Page<Excursion>>('/excursions?status=unresolved&limit=100');
  const [disposing, setDisposing] = useState<Excursion>();
  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="exc-title">
      <h2 id="exc-title">Excursions awaiting disposition</h2>
      <LoadError error={list.error} />
      {list.data && items.length === 0 ? <Empty>No open excursion.</Empty> : null}
      <ul className="plain">
        {items.map((e) => (
          <li key={e.id}>
            <Verdict value="fail">{String(e.number ?? 'Excursion')}</Verdict>{' '}
            {e.startedAt ? `from ${dateTime(String(e.startedAt))}` : ''}{e.peakC !== undefined ? `, peak ${num(e.peakC, '°C')}` : ''}{' '}
            {canDispose ? <button type="button" className="btn btn-small" onClick={() => setDisposing(e)}>Disposition…</button> : null}
          </li>
        ))}
      </ul>
      <SignatureDialog open={!!disposing} meaning="excursion_disposition" onClose={() => setDisposing(undefined)}
        record={<p>Excursion <strong>{String(disposing?.number ?? '')}</strong> and the vials it holds.</p>}
        onSign={async (body) => {
          await api.post(`/excursions/${disposing!.id}/disposition`, body, { credentialCheck: true });
          list.reload();
          onChanged('Disposition signed.');
        }}>
        <Field name="decision" label="Decision" kind="select" required options={[{ value: 'release_from_quarantine', label: 'Release the vials from quarantine' }, { value: 'destroy', label: 'Destroy the vials' }]} />
        <Field name="justification" label="Justification" kind="textarea" required hint="e.g. stability data covering the time and temperature reached" />
      </SignatureDialog>
    </section>
  );
}

function SetupForms({ sites, onDone }: { sites: SiteNode[]; onDone: (m: string) => void }) {
  const freezers = sites.flatMap((s) => s.freezers);
  const racks = freezers.flatMap((f) => f.racks.map((r) => ({ ...r, freezerCode: f.code })));
  return (
    <details className="card">
      <summary>Add a site, freezer, rack or box</summary>
      <div className="two-col">
        <SetupForm title="Site" path={() => '/storage/sites'} onDone={onDone} fields={<><Field name="code" label="Code" required placeholder="AMS-1" /><Field name="name" label="Name" required /></>} />
        <SetupForm title="Freezer" path={() => '/storage/freezers'} onDone={onDone} fields={<>
          <Field name="siteId" label="Site" kind="select" required options={sites.map((s) => ({ value: s.id, label: s.code }))} />
          <Field name="code" label="Code" required placeholder="ULT-01" /><Field name="name" label="Name" required />
          <Field name="setPointC" label="Set point" kind="number" unit="°C" required defaultValue="-80" />
          <Field name="alarmHighC" label="Alarm limit" kind="number" unit="°C" required defaultValue="-60" />
        </>} />
        <SetupForm title="Rack" path={(b) => `/storage/freezers/${b.freezerId}/racks`} omit={['freezerId']} onDone={onDone} fields={<>
          <Field name="freezerId" label="Freezer" kind="select" required options={freezers.map((f) => ({ value: f.id, label: f.code }))} />
          <Field name="code" label="Code" required placeholder="R1" />
        </>} />
        <SetupForm title="Box" path={(b) => `/storage/racks/${b.rackId}/boxes`} omit={['rackId']} onDone={onDone} fields={<>
          <Field name="rackId" label="Rack" kind="select" required options={racks.map((r) => ({ value: r.id, label: `${r.freezerCode} › ${r.code}` }))} />
          <Field name="code" label="Code" required placeholder="BOX-0001" />
          <Field name="rows" label="Rows" kind="number" required defaultValue="9" />
          <Field name="cols" label="Columns" kind="number" required defaultValue="9" />
        </>} />
      </div>
    </details>
  );
}

function SetupForm({ title, path, omit = [], fields, onDone }: { title: string; path: (body: Record<string, unknown>) => string; omit?: string[]; fields: React.ReactNode; onDone: (m: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const cmd = useCommand((p: string, body: Record<string, unknown>) => api.post(p, body));
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const body = formBody(form);
    const p = path(body);
    for (const k of omit) delete body[k];
    if (await cmd.execute(p, body)) {
      form.reset();
      onDone(`${title} added.`);
    }
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-label={`Add a ${title.toLowerCase()}`}>
      <h3>{title}</h3>
      <FormErrors error={cmd.error}>
        <ProblemAlert error={cmd.error} form={formRef.current} />
        {fields}
      </FormErrors>
      <Submit pending={cmd.pending} className="btn">Add {title.toLowerCase()}</Submit>
    </form>
  );
}
