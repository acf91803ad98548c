import { Link } from 'react-router';
import { Empty, LoadError, Loading, PageHeader, Verdict } from '../../components/ui';
import { dateTime, label } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';

interface QueueItem {
  id: string;
  batchNumber: string;
  productCode?: string;
  productName?: string;
  sourceType?: string;
  state?: string;
  updatedAt?: string;
  checklist?: { passed: boolean; stale?: boolean; lines?: { status: string }[]; computedAt?: string } | null;
  [k: string]: unknown;
}

/** Release-pending batches with their checklists, oldest first. */
export function ReleaseQueue() {
  useDocumentTitle('Release queue');
  const queue = useApi<QueueItem[]>('/release-queue', { pollMs: 15000 });
  return (
    <section>
      <PageHeader title="Release queue" sub="Batches whose release checklist passes, waiting for a QA signature." />
      <LoadError error={queue.error} onRetry={queue.reload} />
      {!queue.data && !queue.error ? <Loading what="the queue" /> : null}
      {queue.data && queue.data.length === 0 ? <Empty>No batch is waiting for release.</Empty> : null}
      {queue.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Batch</th><th scope="col">Product</th><th scope="col">Source</th><th scope="col">Checklist</th><th scope="col">Waiting since</th><th scope="col"><span className="visually-hidden">Action</span></th></tr></thead>
            <tbody>
              {queue.data.map((b) => {
                const lines = b.checklist?.lines ?? [];
                const passing = lines.filter((l) => l.status === 'pass').length;
                return (
                  <tr key={b.id}>
                    <td><strong>{b.batchNumber}</strong></td>
                    <td>{b.productCode} {b.productName ? <span className="muted small">{b.productName}</span> : null}</td>
                    <td>{label(b.sourceType)}</td>
                    <td>{b.checklist ? <Verdict value={b.checklist.passed && !b.stale && !b.checklist.stale ? 'pass' : 'warn'}>{lines.length ? `${passing}/${lines.length} lines pass` : b.checklist.passed ? 'Passes' : 'Not passing'}{b.stale || b.checklist.stale ? ' (re-evaluating)' : ''}</Verdict> : '—'}</td>
                    <td>{dateTime((b.updatedAt as string) ?? (b.checklist?.computedAt as string))}</td>
                    <td><Link className="btn btn-primary btn-small" to={`/qa/release/${b.id}`}>Review {b.batchNumber}</Link></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
