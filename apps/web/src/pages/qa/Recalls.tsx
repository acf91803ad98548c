import { useState } from 'react';
import { Field } from '../../components/forms';
import { SignatureDialog } from '../../components/SignatureDialog';
import { api } from '../../lib/api';
import { Empty, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { date, dateTime } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';
import { expiryStatus, RecallLotDialog } from '../lab/ReagentLots';
import type { ReagentLot } from '../lab/types';

interface ProductRecall {
  id: string;
  number: string;
  scope: 'lot' | 'vials';
  lotNumber: string;
  reason: string;
  recalledAt: string;
  signedBy: string;
  vialCount: number;
}

/** Recalls: a released lot or some of its vials (clinic lookups say "recalled" at once), and reagent lots. */
export function Recalls() {
  useDocumentTitle('Recalls');
  const lots = useApi<ReagentLot[]>('/reagent-lots');
  const recalls = useApi<ProductRecall[] | { items: ProductRecall[] }>('/recalls');
  const productRecalls = recalls.data ? (Array.isArray(recalls.data) ? recalls.data : recalls.data.items) : [];
  const [recallingLot, setRecallingLot] = useState(false);
  const [recalling, setRecalling] = useState<ReagentLot>();
  const [flash, setFlash] = useState<string>();
  const recalled = (lots.data ?? []).filter((l) => l.recalledAt);
  const active = (lots.data ?? []).filter((l) => !l.recalledAt);
  return (
    <section>
      <PageHeader title="Recalls" sub="A recall is signed. Batches that used a recalled reagent lot fail their release checklist." />
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <LoadError error={lots.error ?? recalls.error} onRetry={() => { lots.reload(); recalls.reload(); }} />
      {!lots.data && !lots.error ? <Loading /> : null}
      <h2>Product recalls</h2>
      <div className="button-row"><button type="button" className="btn btn-danger" onClick={() => setRecallingLot(true)}>Recall a lot or vials…</button></div>
      {recalls.data && productRecalls.length === 0 ? <Empty>No product recalls.</Empty> : null}
      {productRecalls.length ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Recall</th><th scope="col">Lot</th><th scope="col">Scope</th><th scope="col">Reason</th><th scope="col">Signed</th></tr></thead>
            <tbody>
              {productRecalls.map((r) => (
                <tr key={r.id}>
                  <td><Verdict value="fail">{r.number}</Verdict></td>
                  <td>{r.lotNumber}</td>
                  <td>{r.scope === 'lot' ? 'Whole lot' : `${r.vialCount} vial${r.vialCount === 1 ? '' : 's'}`}</td>
                  <td>{r.reason}</td>
                  <td>{r.signedBy}, {dateTime(r.recalledAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <SignatureDialog open={recallingLot} meaning="recall" danger onClose={() => setRecallingLot(false)}
        record={<p>The lot (or the listed vials) is recalled: every lookup of its vials says <strong>recalled</strong> from now on, and clinics that received them are listed.</p>}
        onSign={async (body) => {
          const serials = String(body.vialSerials ?? '').toUpperCase().split(/[\s,;]+/).filter(Boolean);
          const res = await api.post<ProductRecall>('/recalls', { lotNumber: body.lotNumber, reason: body.reason, password: body.password, ...(serials.length ? { vialSerials: serials } : {}) }, { credentialCheck: true });
          setFlash(`Recall ${res.number} signed.`);
          recalls.reload();
        }}>
        <Field name="lotNumber" label="Lot number" required placeholder="L2611-00001" />
        <Field name="vialSerials" label="Only these vial serials" hint="Leave empty to recall the whole lot; separate serials with spaces or commas" />
        <Field name="reason" label="Reason" kind="textarea" required />
      </SignatureDialog>
      <h2>Recalled reagent lots</h2>
      {lots.data && recalled.length === 0 ? <Empty>No recalls.</Empty> : null}
      {recalled.length ? (
        <ul className="plain">
          {recalled.map((l) => <li key={l.id}><Verdict value="fail">Recalled</Verdict> <strong>{l.lotNumber}</strong> {l.reagentName} · {dateTime(l.recalledAt)} · {l.recallReason}</li>)}
        </ul>
      ) : null}
      <h2>Recall a reagent lot</h2>
      <div className="table-wrap">
        <table>
          <thead><tr><th scope="col">Reagent</th><th scope="col">Lot</th><th scope="col">Expiry</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Action</span></th></tr></thead>
          <tbody>
            {active.map((l) => {
              const s = expiryStatus(l);
              return (
                <tr key={l.id}>
                  <td>{l.reagentName}</td><td>{l.lotNumber}</td><td>{date(l.expiryDate)}</td><td><Verdict value={s.tone}>{s.text}</Verdict></td>
                  <td><button type="button" className="btn btn-small btn-danger" onClick={() => setRecalling(l)}>Recall {l.lotNumber}…</button></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <RecallLotDialog lot={recalling} onClose={() => setRecalling(undefined)} onDone={(m) => { setFlash(m); lots.reload(); }} />
    </section>
  );
}
