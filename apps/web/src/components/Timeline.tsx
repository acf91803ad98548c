import { dateTime, STATE_LABELS } from '../lib/format';

export interface TimelineEntry {
  at: string;
  kind: 'transition' | 'step' | 'result' | 'correction' | 'custody' | 'signature' | 'excursion';
  title: string;
  detail?: string;
  actor?: string | null;
  tone?: 'pass' | 'fail' | 'neutral' | 'warn';
}

const KIND_LABEL: Record<TimelineEntry['kind'], string> = {
  transition: 'State',
  step: 'Isolation',
  result: 'Result',
  correction: 'Correction',
  custody: 'Custody',
  signature: 'Signature',
  excursion: 'Excursion',
};

/** Every transition, step, result and custody event of a batch, oldest first. */
export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  const sorted = [...entries].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <ol className="timeline" data-testid="timeline">
      {sorted.map((e, i) => (
        <li key={`${e.at}-${i}`} className={`tl tl-${e.kind} tl-tone-${e.tone ?? 'neutral'}`}>
          <span className="tl-dot" aria-hidden="true" />
          <div className="tl-body">
            <div className="tl-head">
              <span className="tl-kind">{KIND_LABEL[e.kind]}</span> <strong>{e.title}</strong>
            </div>
            <div className="tl-meta">
              <time dateTime={e.at}>{dateTime(e.at)}</time>
              {e.actor ? <> · {e.actor}</> : null}
            </div>
            {e.detail ? <div className="tl-detail">{e.detail}</div> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}

const MAIN_PATH = ['harvested', 'isolation_in_progress', 'isolated', 'characterization', 'qc_review', 'release_pending', 'released'];

/** The lifecycle as a row of stages, the current one marked (text, not colour alone). */
export function StageStepper({ state }: { state: string }) {
  const index = MAIN_PATH.indexOf(state);
  return (
    <ol className="stepper" aria-label="Batch stage">
      {MAIN_PATH.map((s, i) => {
        const status = index === -1 ? 'todo' : i < index ? 'done' : i === index ? 'current' : 'todo';
        return (
          <li key={s} className={`step step-${status}`} aria-current={status === 'current' ? 'step' : undefined}>
            <span className="step-mark" aria-hidden="true">{status === 'done' ? '✓' : i + 1}</span>
            <span className="step-label">{STATE_LABELS[s]}</span>
            <span className="visually-hidden">{status === 'done' ? ' (done)' : status === 'current' ? ' (current)' : ''}</span>
          </li>
        );
      })}
      {index === -1 ? <li className="step step-current step-off" aria-current="step"><span className="step-mark" aria-hidden="true">!</span><span className="step-label">{STATE_LABELS[state] ?? state}</span></li> : null}
    </ol>
  );
}
