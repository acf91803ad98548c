import { type FormEvent, useState } from 'react';
import { toIso } from '../../components/forms';
import { Empty, LoadError, Loading, Notice, PageHeader, Verdict } from '../../components/ui';
import { type ApiError, api, download, type Page, qs } from '../../lib/api';
import { dateTime } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';

interface AuditEvent {
  seq: number;
  id: string;
  occurredAt: string;
  actorName: string;
  actorRole: string;
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  requestId: string;
  hash: string;
}

interface ChainCheck {
  valid: boolean;
  checked: number;
  firstBrokenSeq: number | null;
  reason: string | null;
}

const PAGE = 50;

/** The hash-chained audit trail: filters, old → new values, chain verification and CSV export. */
export function AuditTrail() {
  useDocumentTitle('Audit trail');
  const [filters, setFilters] = useState<Record<string, string>>({ order: 'desc' });
  const [offset, setOffset] = useState(0);
  const events = useApi<Page<AuditEvent>>(`/audit${qs({ ...filters, limit: PAGE, offset })}`);
  const [check, setCheck] = useState<ChainCheck>();
  const [checkError, setCheckError] = useState<ApiError>();
  const [checking, setChecking] = useState(false);

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next: Record<string, string> = {};
    for (const [k, v] of data.entries()) {
      const s = String(v).trim();
      if (!s) continue;
      next[k] = k === 'from' || k === 'to' ? toIso(s) : s;
    }
    setFilters(next);
    setOffset(0);
  }

  async function verify() {
    setChecking(true);
    setCheckError(undefined);
    try {
      setCheck(await api.get<ChainCheck>('/audit/verify'));
    } catch (e) {
      setCheckError(e as ApiError);
    } finally {
      setChecking(false);
    }
  }

  const total = events.data?.total ?? 0;
  return (
    <section>
      <PageHeader title="Audit trail" sub="Every change to a regulated record: who, what, when, old → new value, and why. Append-only; each entry hashes the one before.">
        <button type="button" className="btn" onClick={verify} disabled={checking}>{checking ? 'Verifying…' : 'Verify the chain'}</button>
        <button type="button" className="btn" onClick={() => download(`/audit/export.csv${qs({ ...filters, order: undefined })}`, 'audit.csv').catch((e) => setCheckError(e))}>Export CSV</button>
      </PageHeader>
      <LoadError error={checkError} />
      {check ? (
        <div className={`alert ${check.valid ? 'alert-success' : 'alert-error'}`} role="status" data-testid="chain-result">
          <Verdict value={check.valid ? 'pass' : 'fail'} large>{check.valid ? 'Chain intact' : 'Chain broken'}</Verdict>{' '}
          {check.checked} entries checked{check.firstBrokenSeq !== null ? `; first broken entry #${check.firstBrokenSeq}` : ''}{check.reason ? ` — ${check.reason}` : ''}.
        </div>
      ) : null}
      <form className="card filters" onSubmit={apply}>
        <div className="form-grid">
          <div className="field"><label htmlFor="f-entityType">Record type</label><input id="f-entityType" name="entityType" placeholder="batch, assay_result, user…" defaultValue={filters.entityType} /></div>
          <div className="field"><label htmlFor="f-entityId">Record id</label><input id="f-entityId" name="entityId" defaultValue={filters.entityId} /></div>
          <div className="field"><label htmlFor="f-action">Action</label><input id="f-action" name="action" placeholder="e.g. batch.harvest_recorded" defaultValue={filters.action} /></div>
          <div className="field"><label htmlFor="f-from">From</label><input id="f-from" name="from" type="datetime-local" /></div>
          <div className="field"><label htmlFor="f-to">To</label><input id="f-to" name="to" type="datetime-local" /></div>
          <div className="field"><label htmlFor="f-order">Order</label><select id="f-order" name="order" defaultValue={filters.order}><option value="desc">Newest first</option><option value="asc">Oldest first</option></select></div>
        </div>
        <button type="submit" className="btn btn-primary">Apply filters</button>
      </form>
      <LoadError error={events.error} onRetry={events.reload} />
      {!events.data && !events.error ? <Loading what="the audit trail" /> : null}
      {events.data && events.data.items.length === 0 ? <Empty>No entries match.</Empty> : null}
      {events.data?.items.length ? (
        <>
          <div className="table-wrap">
            <table className="audit">
              <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Record</th><th scope="col">Change</th><th scope="col">Why</th></tr></thead>
              <tbody>
                {events.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>{e.seq}</td>
                    <td>{dateTime(e.occurredAt)}</td>
                    <td>{e.actorName}<div className="muted small">{e.actorRole}</div></td>
                    <td><code>{e.action}</code></td>
                    <td>{e.entityType}<div className="muted small mono">{e.entityId.slice(0, 8)}</div></td>
                    <td><Diff before={e.before} after={e.after} /></td>
                    <td>{e.reason ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
            <span>{offset + 1}–{Math.min(offset + PAGE, total)} of {total}</span>
            <button type="button" className="btn btn-small" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>Next</button>
          </div>
        </>
      ) : null}
      {events.data ? <Notice>Entries cannot be edited or deleted; a correction is a new entry.</Notice> : null}
    </section>
  );
}

function Diff({ before, after }: { before: Record<string, unknown> | null; after: Record<string, unknown> | null }) {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
  if (keys.length === 0) return <span className="muted">—</span>;
  const show = (v: unknown) => (v === undefined ? '∅' : typeof v === 'object' ? JSON.stringify(v).slice(0, 80) : String(v));
  return (
    <details>
      <summary>{keys.length} field{keys.length === 1 ? '' : 's'}</summary>
      <ul className="diff">
        {keys.map((k) => <li key={k}><code>{k}</code>: {before ? <><del>{show(before[k])}</del> → </> : null}<ins>{show(after?.[k])}</ins></li>)}
      </ul>
    </details>
  );
}
