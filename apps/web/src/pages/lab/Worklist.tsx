import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Empty, LoadError, Loading, PageHeader, StateBadge } from '../../components/ui';
import type { Page } from '../../lib/api';
import { AREAS, batchPath } from '../../lib/areas';
import { useAuth } from '../../lib/auth';
import { dateTime, label, STATE_LABELS, WAITING_FOR } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';
import type { Batch } from './types';

const ORDER = ['harvested', 'isolation_in_progress', 'isolated', 'characterization', 'qc_review', 'release_pending', 'quarantined', 'released', 'rejected'];
const ACTIVE = new Set(ORDER.slice(0, 7));

/** Batches by stage, each with what it is waiting for. */
export function Worklist() {
  useDocumentTitle('Worklist');
  const { user } = useAuth();
  const [showClosed, setShowClosed] = useState(false);
  const [filter, setFilter] = useState('');
  const { data, error, loading, reload } = useApi<Page<Batch>>('/batches?limit=200', { pollMs: 15000 });
  const groups = useMemo(() => {
    const items = (data?.items ?? []).filter((b) => (showClosed || ACTIVE.has(b.state)) && (!filter || `${b.batchNumber} ${b.productCode} ${b.lotNumber ?? ''}`.toLowerCase().includes(filter.toLowerCase())));
    return ORDER.map((state) => ({ state, batches: items.filter((b) => b.state === state) })).filter((g) => g.batches.length);
  }, [data, showClosed, filter]);
  return (
    <section>
      <PageHeader title="Worklist" sub="Batches by stage, and what each one is waiting for.">
        {user?.role === 'technician' ? <Link className="btn btn-primary" to={AREAS.newHarvest.path}>Record a harvest</Link> : null}
      </PageHeader>
      <div className="toolbar">
        <label>
          Find <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Batch or lot number" />
        </label>
        <label className="check"><input type="checkbox" checked={showClosed} onChange={(e) => setShowClosed(e.target.checked)} /> Show released and rejected</label>
      </div>
      <LoadError error={error} onRetry={reload} />
      {loading && !data ? <Loading what="batches" /> : null}
      {data && groups.length === 0 ? <Empty>No batches here yet.</Empty> : null}
      <div className="stage-groups">
        {groups.map((g) => (
          <section key={g.state} className="stage-group" aria-labelledby={`stage-${g.state}`}>
            <h2 id={`stage-${g.state}`}>
              <StateBadge state={g.state} /> <span className="count">{g.batches.length}</span>
            </h2>
            <p className="waiting"><span className="muted">Waiting for:</span> {WAITING_FOR[g.state]}</p>
            <ul className="batch-cards">
              {g.batches.map((b) => (
                <li key={b.id}>
                  <Link to={batchPath(b.id)} className="batch-card" aria-label={`${b.batchNumber}, ${STATE_LABELS[b.state]}`}>
                    <strong>{b.batchNumber}</strong>
                    <span>{b.productCode} · {label(b.sourceType)}</span>
                    <span className="muted small">Updated {dateTime(b.updatedAt)}{b.lotNumber ? ` · lot ${b.lotNumber}` : ''}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}
