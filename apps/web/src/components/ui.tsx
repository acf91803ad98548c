import type { ReactNode } from 'react';
import type { ApiError } from '../lib/api';
import { STATE_LABELS } from '../lib/format';

export type VerdictValue = 'pass' | 'fail' | 'pending' | 'not_evaluated' | 'warn' | string;

const VERDICT_TEXT: Record<string, string> = {
  pass: 'Pass',
  fail: 'Fail',
  pending: 'Pending',
  not_evaluated: 'Not evaluated',
  missing: 'Missing',
  warn: 'Warning',
  verified: 'Verified',
  not_verified: 'Not verified',
};

/** A verdict in words and colour (never colour alone), with a symbol for a quick look. */
export function Verdict({ value, children, large }: { value: VerdictValue | null | undefined; children?: ReactNode; large?: boolean }) {
  const v = value ?? 'pending';
  const tone = v === 'pass' || v === 'verified' ? 'pass' : v === 'fail' || v === 'not_verified' ? 'fail' : v === 'warn' ? 'warn' : 'neutral';
  const symbol = tone === 'pass' ? '✓' : tone === 'fail' ? '✗' : tone === 'warn' ? '!' : '…';
  return (
    <span className={`verdict verdict-${tone}${large ? ' verdict-large' : ''}`} data-verdict={v}>
      <span aria-hidden="true">{symbol}</span> {children ?? VERDICT_TEXT[v] ?? v.replace(/_/g, ' ')}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`state state-${state}`}>{STATE_LABELS[state] ?? state}</span>;
}

export function Loading({ what }: { what?: string }) {
  return <p className="loading" role="status" aria-live="polite">Loading{what ? ` ${what}` : ''}…</p>;
}

/** An error from loading a page's data: the problem detail, in a live region. */
export function LoadError({ error, onRetry }: { error: ApiError | undefined; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert" data-code={error.code}>
      <strong>Could not load:</strong> {error.problem.detail}
      {onRetry ? <> <button type="button" className="btn btn-small" onClick={onRetry}>Try again</button></> : null}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warn' }) {
  return <div className={`alert alert-${tone}`} role="status">{children}</div>;
}

export function PageHeader({ title, children, sub }: { title: ReactNode; children?: ReactNode; sub?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {sub ? <p className="sub">{sub}</p> : null}
      </div>
      {children ? <div className="actions">{children}</div> : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A definition list from label/value pairs, skipping empty values. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
