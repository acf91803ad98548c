import { Fragment } from 'react';
import { dateTime, num } from '../lib/format';
import { Verdict } from './ui';

export interface ChecklistData {
  passed: boolean;
  stale?: boolean;
  computedAt?: string;
  qcRevision?: number;
  lines: { key: string; requirement: string; status: string; detail: string; evidence: { resultId?: string; version?: number; value?: unknown; [k: string]: unknown }[] }[];
}

const GROUPS: [string, string][] = [
  ['criterion', 'Specification lines'],
  ['assay', 'Required results'],
  ['investigations', 'Investigations'],
  ['reagents', 'Reagent lots'],
];

/** Every checklist line with its verdict (in words) and the evidence it rests on. */
export function ChecklistView({ checklist, resultLink }: { checklist: ChecklistData; resultLink?: (resultId: string) => string }) {
  const failing = checklist.lines.filter((l) => l.status !== 'pass').length;
  const groups = GROUPS.map(([prefix, title]) => ({ title, lines: checklist.lines.filter((l) => l.key.split(':')[0] === prefix) }));
  const other = checklist.lines.filter((l) => !GROUPS.some(([p]) => l.key.split(':')[0] === p));
  if (other.length) groups.push({ title: 'Other', lines: other });
  return (
    <div className="checklist" data-testid="checklist">
      <p className="checklist-summary">
        <Verdict value={checklist.passed ? 'pass' : 'fail'} large>{checklist.passed ? 'Every line passes' : `${failing} line${failing === 1 ? '' : 's'} not passing`}</Verdict>
        {checklist.stale ? <span className="verdict verdict-warn"><span aria-hidden="true">!</span> Being re-evaluated after a newer change</span> : null}
        {checklist.computedAt ? <span className="muted small"> Evaluated {dateTime(checklist.computedAt)}</span> : null}
      </p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Requirement</th><th scope="col">Result</th><th scope="col">Verdict</th><th scope="col">Evidence</th></tr>
          </thead>
          <tbody>
            {groups.filter((g) => g.lines.length).map((g) => (
              <Fragment key={g.title}>
                <tr className="group-row"><th colSpan={4} scope="colgroup">{g.title}</th></tr>
                {g.lines.map((l) => (
                  <tr key={l.key} className={l.status === 'pass' ? '' : 'row-fail'} data-line={l.key}>
                    <td>{l.requirement}</td>
                    <td>{l.detail}</td>
                    <td><Verdict value={l.status} /></td>
                    <td className="small">
                      {l.evidence.length === 0 ? '—' : l.evidence.map((e, i) => (
                        <div key={i}>
                          {e.resultId ? (resultLink ? <a href={resultLink(e.resultId)}>result v{e.version ?? '?'}</a> : <>result v{e.version ?? '?'}</>) : null}
                          {e.value !== undefined ? <> · value {num(e.value)}</> : null}
                          {Object.entries(e).filter(([k]) => !['resultId', 'version', 'value'].includes(k)).map(([k, v]) => <span key={k}> · {k} {String(v)}</span>)}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
