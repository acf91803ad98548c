import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { ChecklistView } from '../../components/Checklist';
import { StageStepper, Timeline, type TimelineEntry } from '../../components/Timeline';
import { Facts, LoadError, Loading, Notice, PageHeader, StateBadge } from '../../components/ui';
import { api, download } from '../../lib/api';
import { AREAS } from '../../lib/areas';
import { useAuth } from '../../lib/auth';
import { ASSAY_LABELS, dateTime, label, num, STATE_LABELS, WAITING_FOR } from '../../lib/format';
import { useApi, useDocumentTitle } from '../../lib/hooks';
import { QuarantineActions, QuarantineNotice } from '../qa/QuarantineActions';
import { IsolationPanel } from './IsolationPanel';
import { ResultsPanel } from './ResultsPanel';
import { VialsPanel } from './VialsPanel';
import { useBatchSpecification } from './spec';
import type { AssayResult, BatchDetail, Checklist } from './types';

const TABS = [
  { id: 'overview', label: 'Overview and timeline' },
  { id: 'isolation', label: 'Isolation' },
  { id: 'results', label: 'Results' },
  { id: 'release', label: 'Release checklist' },
  { id: 'vials', label: 'Vials and labels' },
] as const;
type Tab = (typeof TABS)[number]['id'];

function defaultTab(state: string): Tab {
  if (state === 'harvested' || state === 'isolation_in_progress') return 'isolation';
  if (state === 'isolated' || state === 'characterization') return 'results';
  if (state === 'released') return 'vials';
  if (state === 'qc_review' || state === 'release_pending' || state === 'rejected') return 'release';
  return 'overview';
}

/** One batch: where it stands, its timeline, and the forms for the lab's next step. */
export function BatchPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const { user } = useAuth();
  const batch = useApi<BatchDetail>(`/batches/${id}`);
  const results = useApi<AssayResult[]>(`/batches/${id}/results`);
  const b = batch.data;
  useDocumentTitle(b ? `Batch ${b.batchNumber}` : 'Batch');
  const spec = useBatchSpecification(b);
  const tab = (params.get('tab') as Tab | null) ?? (b ? defaultTab(b.state) : 'overview');
  const [flash, setFlash] = useState<string | null>((location.state as { flash?: string } | null)?.flash ?? null);
  const custody = useCustody(b && ['released', 'quarantined'].includes(b.state) ? b.id : null);

  // Result recording moves the batch on through jobs (QC gate): refresh while it settles.
  const settling = b && ['characterization', 'qc_review'].includes(b.state);
  useEffect(() => {
    if (!settling) return;
    const t = setInterval(() => batch.reload(), 4000);
    return () => clearInterval(t);
  }, [settling, batch.reload]);

  const refresh = (message?: string) => {
    batch.reload();
    results.reload();
    if (message) setFlash(message);
  };

  const timeline = useMemo(() => (b ? timelineOf(b, results.data ?? [], custody) : []), [b, results.data, custody]);

  if (batch.error) return <LoadError error={batch.error} onRetry={batch.reload} />;
  if (!b) return <Loading what="the batch" />;
  const isTech = user?.role === 'technician';

  return (
    <section>
      <p className="crumbs"><Link to={AREAS.worklist.path}>Worklist</Link> › {b.batchNumber}</p>
      <PageHeader
        title={<>Batch {b.batchNumber} <StateBadge state={b.state} /></>}
        sub={<>{b.productCode} — {b.productName} · {label(b.sourceType)} · {label(b.originClass)}</>}
      >
        {b.state === 'released' ? <button type="button" className="btn" onClick={() => download(`/batches/${b.id}/certificate`, `CoA-${b.lotNumber ?? b.batchNumber}.pdf`).catch((e) => setFlash(e.message))}>Download CoA (PDF)</button> : null}
        {user?.role === 'qa_manager' && b.state === 'release_pending' ? <Link className="btn btn-primary" to={`/qa/release/${b.id}`}>Review for release</Link> : null}
        {user?.role === 'qa_manager' ? <QuarantineActions batch={b} onChanged={refresh} /> : null}
      </PageHeader>
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <QuarantineNotice batch={b} />
      <StageStepper state={b.state} />
      <p className="waiting-banner"><strong>Waiting for:</strong> {WAITING_FOR[b.state] ?? '—'}</p>
      <div className="tabs" role="tablist" aria-label="Batch sections">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-selected={tab === t.id} aria-controls={`panel-${t.id}`} className={tab === t.id ? 'tab active' : 'tab'}
            onClick={() => setParams({ tab: t.id }, { replace: true })}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === 'overview' ? (
          <div className="two-col">
            <div>
              <h2>Facts</h2>
              <Facts items={[
                ['State', STATE_LABELS[b.state]],
                ['Lot number', b.lotNumber],
                ['Yield', b.yieldVolumeMl !== null ? num(b.yieldVolumeMl, 'mL') : null],
                ['Specification', spec.spec ? `v${spec.spec.version} (${spec.spec.status})` : b.specificationId ? 'bound' : 'not bound yet'],
                ['Harvested', dateTime(b.harvest?.harvestedAt)],
                ['Released', b.releasedAt ? dateTime(b.releasedAt) : null],
                ['Created', dateTime(b.createdAt)],
              ]} />
              {b.harvest ? (
                <>
                  <h3>Harvest</h3>
                  <Facts items={Object.entries(b.harvest.details).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [label(k.replace(/([A-Z])/g, ' $1').toLowerCase()), typeof v === 'boolean' ? (v ? 'yes' : 'no') : label(String(v))])} />
                </>
              ) : null}
            </div>
            <div>
              <h2>Timeline</h2>
              <Timeline entries={timeline} />
            </div>
          </div>
        ) : null}
        {tab === 'isolation' ? <IsolationPanel batch={b} canEdit={isTech} onChanged={refresh} /> : null}
        {tab === 'results' ? <ResultsPanel batch={b} results={results.data} resultsError={results.error} spec={spec} canEdit={isTech} onChanged={refresh} /> : null}
        {tab === 'release' ? <BatchChecklist batchId={b.id} state={b.state} /> : null}
        {tab === 'vials' ? <VialsPanel batch={b} canEdit={isTech} /> : null}
      </div>
    </section>
  );
}

function BatchChecklist({ batchId, state }: { batchId: string; state: string }) {
  const checklist = useApi<Checklist>(`/batches/${batchId}/release-checklist`);
  if (checklist.error?.status === 404) return <Notice>No checklist yet: the release gate evaluates the batch once every required result is recorded.</Notice>;
  if (checklist.error) return <LoadError error={checklist.error} onRetry={checklist.reload} />;
  if (!checklist.data) return <Loading what="the checklist" />;
  return (
    <>
      <p>{state === 'release_pending' ? 'Every line passes: the batch waits for the QA release signature.' : null}</p>
      <ChecklistView checklist={checklist.data} />
    </>
  );
}

interface CustodyEvent {
  id: string;
  kind: string;
  serial: string;
  boxCode: string | null;
  row: number | null;
  col: number | null;
  freezerCode: string | null;
  shipmentNumber: string | null;
  excursionNumber: string | null;
  reason: string | null;
  actorName: string | null;
  occurredAt: string;
}

const CUSTODY_VIALS = 25;

/** The custody history (fill, storage, moves, shipment, use) of the batch's vials. */
function useCustody(batchId: string | null): CustodyEvent[] {
  const [events, setEvents] = useState<CustodyEvent[]>([]);
  useEffect(() => {
    if (!batchId) return;
    const controller = new AbortController();
    (async () => {
      const vials = await api.get<{ serial: string }[]>(`/batches/${batchId}/vials`, controller.signal);
      const details = await Promise.all(vials.slice(0, CUSTODY_VIALS).map((v) => api.get<{ serial: string; custody: Omit<CustodyEvent, 'serial'>[] }>(`/vials/${v.serial}`, controller.signal)));
      setEvents(details.flatMap((d) => d.custody.map((c) => ({ ...c, serial: d.serial }))));
    })().catch(() => undefined);
    return () => controller.abort();
  }, [batchId]);
  return events;
}

function timelineOf(b: BatchDetail, results: AssayResult[], custody: CustodyEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = b.events.map((e) => ({
    at: e.occurredAt,
    kind: 'transition',
    title: `${e.fromState ? `${STATE_LABELS[e.fromState] ?? e.fromState} → ` : ''}${STATE_LABELS[e.toState] ?? e.toState}`,
    detail: [label(e.transition), e.reason ? `reason: ${e.reason}` : ''].filter(Boolean).join(' · '),
    actor: e.actorName,
    tone: e.toState === 'rejected' || e.toState === 'quarantined' ? 'fail' : e.toState === 'released' ? 'pass' : 'neutral',
  }));
  for (const s of b.isolationSteps ?? []) {
    entries.push({
      at: s.recordedAt,
      kind: 'step',
      title: `Step ${s.sequence}: ${label(s.stepType)}`,
      detail: [`performed ${dateTime(s.performedAt)}`, s.reagentName ? `${s.reagentName} lot ${s.reagentLotNumber}` : '', Object.entries(s.parameters).map(([k, v]) => `${k} ${v}`).join(', ')].filter(Boolean).join(' · '),
    });
  }
  for (const r of results) {
    entries.push({
      at: r.recordedAt,
      kind: r.version > 1 ? 'correction' : 'result',
      title: `${ASSAY_LABELS[r.assay] ?? r.assay} v${r.version}: ${r.outcome}`,
      detail: r.correctionReason ? `Correction: ${r.correctionReason}` : r.instrumentFileId ? 'Imported from an instrument file' : undefined,
      actor: r.recordedByName,
      tone: r.outcome === 'pass' ? 'pass' : r.outcome === 'fail' ? 'fail' : 'neutral',
    });
  }
  for (const c of custody) {
    const where = c.boxCode ? `${c.freezerCode ? `${c.freezerCode} › ` : ''}box ${c.boxCode} row ${c.row} col ${c.col}` : '';
    entries.push({
      at: c.occurredAt,
      kind: 'custody',
      title: `Vial ${c.serial}: ${label(c.kind)}`,
      detail: [where, c.shipmentNumber ? `shipment ${c.shipmentNumber}` : '', c.excursionNumber ? `excursion ${c.excursionNumber}` : '', c.reason ?? ''].filter(Boolean).join(' · ') || undefined,
      actor: c.actorName,
      tone: c.kind === 'destroyed' || c.kind === 'quarantined' ? 'fail' : 'neutral',
    });
  }
  return entries;
}

