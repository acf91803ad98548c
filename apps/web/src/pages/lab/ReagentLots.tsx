import { useMemo, useState } from 'react';
import { CommandForm } from '../../components/CommandForm';
import { Field } from '../../components/forms';
import { SignatureDialog } from '../../components/SignatureDialog';
import { Empty, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { api } from '../../lib/api';
import { useAuth } from '../../lib/auth';
import { date, label } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';
import type { Reagent, ReagentLot } from './types';

const SOON_DAYS = 60;

export function expiryStatus(lot: ReagentLot): { tone: 'pass' | 'fail' | 'warn'; text: string } {
  if (lot.status === 'recalled' || lot.recalledAt) return { tone: 'fail', text: 'Recalled' };
  const days = Math.floor((new Date(`${lot.expiryDate}T23:59:59`).getTime() - Date.now()) / 86_400_000);
  if (lot.status === 'expired' || days < 0) return { tone: 'fail', text: 'Expired' };
  if (days <= SOON_DAYS) return { tone: 'warn', text: `Expires in ${days} day${days === 1 ? '' : 's'}` };
  return { tone: 'pass', text: 'Valid' };
}

/** Reagent lots with expiry warnings; technicians and QA add reagents and lots, QA recalls a lot. */
export function ReagentLots() {
  useDocumentTitle('Reagent lots');
  const { user } = useAuth();
  const lots = useApi<ReagentLot[]>('/reagent-lots');
  const reagents = useApi<Reagent[]>('/reagents');
  const [hideOld, setHideOld] = useState(false);
  const [flash, setFlash] = useState<string>();
  const [recalling, setRecalling] = useState<ReagentLot>();
  const rows = useMemo(() => (lots.data ?? []).filter((l) => !hideOld || expiryStatus(l).tone !== 'fail').sort((a, b) => a.expiryDate.localeCompare(b.expiryDate)), [lots.data, hideOld]);
  const warnings = (lots.data ?? []).filter((l) => expiryStatus(l).tone === 'warn').length;
  return (
    <section>
      <PageHeader title="Reagent lots" sub="Expired, recalled or wrong-source lots are refused when an isolation step is recorded." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      {warnings ? <Notice tone="warn">{warnings} lot{warnings === 1 ? '' : 's'} expire within {SOON_DAYS} days.</Notice> : null}
      <div className="toolbar"><label className="check"><input type="checkbox" checked={hideOld} onChange={(e) => setHideOld(e.target.checked)} /> Hide expired and recalled lots</label></div>
      <LoadError error={lots.error} onRetry={lots.reload} />
      {!lots.data && !lots.error ? <Loading what="lots" /> : null}
      {lots.data && rows.length === 0 ? <Empty>No lots.</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Reagent</th><th scope="col">Lot</th><th scope="col">Expiry</th><th scope="col">Received</th><th scope="col">Status</th>{user?.role === 'qa_manager' ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}</tr></thead>
            <tbody>
              {rows.map((l) => {
                const s = expiryStatus(l);
                return (
                  <tr key={l.id} className={s.tone === 'fail' ? 'row-fail' : s.tone === 'warn' ? 'row-warn' : ''}>
                    <td>{l.reagentName}</td>
                    <td>{l.lotNumber}</td>
                    <td>{date(l.expiryDate)}</td>
                    <td>{date(l.receivedDate)}</td>
                    <td><Verdict value={s.tone}>{s.text}</Verdict>{l.recallReason ? <div className="small">{l.recallReason}</div> : null}</td>
                    {user?.role === 'qa_manager' ? <td>{!l.recalledAt ? <button type="button" className="btn btn-small btn-danger" onClick={() => setRecalling(l)}>Recall…</button> : null}</td> : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="two-col">
        <NewLot reagents={reagents.data ?? []} onDone={(m) => { setFlash(m); lots.reload(); }} />
        <NewReagent onDone={(m) => { setFlash(m); reagents.reload(); }} />
      </div>
      <RecallLotDialog lot={recalling} onClose={() => setRecalling(undefined)} onDone={(m) => { setFlash(m); lots.reload(); }} />
    </section>
  );
}

export function RecallLotDialog({ lot, onClose, onDone }: { lot: ReagentLot | undefined; onClose: () => void; onDone: (m: string) => void }) {
  return (
    <SignatureDialog open={!!lot} meaning="recall" danger onClose={onClose}
      record={lot ? <p>Reagent lot <strong>{lot.lotNumber}</strong> of {lot.reagentName} (expiry {date(lot.expiryDate)}). Batches that used it are re-evaluated by the release gate.</p> : null}
      onSign={async (body) => {
        await api.post(`/reagent-lots/${lot!.id}/recall`, body, { credentialCheck: true });
        onDone(`Lot ${lot!.lotNumber} recalled.`);
      }}>
      <Field name="reason" label="Reason for the recall" kind="textarea" required />
    </SignatureDialog>
  );
}

function NewLot({ reagents, onDone }: { reagents: Reagent[]; onDone: (m: string) => void }) {
  return (
    <CommandForm id="new-lot" title="Receive a lot" submitLabel="Add lot" send={({ reagentId, ...body }) => api.post<ReagentLot>(`/reagents/${String(reagentId ?? '')}/lots`, body)}
      onSaved={(lot) => onDone(`Lot ${lot.lotNumber} received.`)}>
      <Field name="reagentId" label="Reagent" kind="select" required options={reagents.map((r) => ({ value: r.id, label: `${r.name} (${r.manufacturer} ${r.catalogueNumber})` }))} />
      <Field name="lotNumber" label="Lot number" required />
      <Field name="expiryDate" label="Expiry date" kind="date" required />
      <Field name="receivedDate" label="Received" kind="date" required defaultValue={new Date().toISOString().slice(0, 10)} />
    </CommandForm>
  );
}

function NewReagent({ onDone }: { onDone: (m: string) => void }) {
  return (
    <CommandForm id="new-reagent" title="Add a reagent" submitLabel="Add reagent" send={(body) => api.post<Reagent>('/reagents', body)} onSaved={(r) => onDone(`Reagent ${r.name} added.`)}>
      <Field name="name" label="Name" required placeholder="Total Exosome Isolation (from serum)" />
      <Field name="manufacturer" label="Manufacturer" required />
      <Field name="catalogueNumber" label="Catalogue number" required />
      <Field name="kind" label="Kind" kind="select" required options={['precipitation', 'buffer', 'sec_column', 'tff_membrane', 'rna_kit', 'other']} />
      <Field name="intendedSource" label="Made for" kind="select" required options={[{ value: 'cell_culture_media', label: label('cell_culture_media') }, { value: 'serum', label: 'Serum' }, { value: 'any', label: 'Any source' }]} />
    </CommandForm>
  );
}
