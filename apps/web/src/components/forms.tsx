import { createContext, type ReactNode, useContext, useId } from 'react';
import type { ApiError } from '../lib/api';

/**
 * Forms are plain HTML forms whose inputs are named by the API's dotted field paths
 * (`cellCulture.passageNumber`, `data.markers.0.marker`). `formBody` turns one into the request
 * body and the API's `errors[].field` land back on the input of the same name.
 */
const ErrorsContext = createContext<Record<string, string[]>>({});

export function FormErrors({ error, children }: { error: ApiError | undefined; children: ReactNode }) {
  return <ErrorsContext.Provider value={error?.fieldErrors() ?? {}}>{children}</ErrorsContext.Provider>;
}

export function useFieldErrors(name: string): string[] {
  return useContext(ErrorsContext)[name] ?? [];
}

type Kind = 'text' | 'number' | 'datetime' | 'date' | 'select' | 'checkbox' | 'textarea' | 'password' | 'email' | 'file';

export interface FieldProps {
  name: string;
  label: string;
  kind?: Kind;
  unit?: string;
  hint?: ReactNode;
  required?: boolean;
  defaultValue?: string | number;
  defaultChecked?: boolean;
  options?: readonly (string | { value: string; label: string })[];
  step?: string;
  min?: number;
  max?: number;
  placeholder?: string;
  autoComplete?: string;
  /** Extra content after the input (an inline verdict). */
  after?: ReactNode;
  onChange?: (value: string) => void;
  accept?: string;
  inputMode?: 'numeric' | 'decimal' | 'text';
  autoFocus?: boolean;
  className?: string;
}

export function Field(props: FieldProps) {
  const { name, label, kind = 'text', unit, hint, required, options, after, onChange } = props;
  const id = useId();
  const errors = useFieldErrors(name);
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name,
    required,
    'aria-invalid': errors.length ? true : undefined,
    'aria-describedby': describedBy,
    'data-kind': kind,
    autoFocus: props.autoFocus,
  } as const;
  let input: ReactNode;
  if (kind === 'select') {
    input = (
      <select {...common} defaultValue={props.defaultValue ?? ''} onChange={(e) => onChange?.(e.target.value)}>
        {!required || props.defaultValue === undefined ? <option value="">{props.placeholder ?? '— choose —'}</option> : null}
        {options?.map((o) => {
          const value = typeof o === 'string' ? o : o.value;
          const text = typeof o === 'string' ? o.replace(/_/g, ' ') : o.label;
          return <option key={value} value={value}>{text}</option>;
        })}
      </select>
    );
  } else if (kind === 'checkbox') {
    input = <input {...common} type="checkbox" defaultChecked={props.defaultChecked} onChange={(e) => onChange?.(String(e.target.checked))} />;
  } else if (kind === 'textarea') {
    input = <textarea {...common} rows={3} defaultValue={props.defaultValue} placeholder={props.placeholder} onChange={(e) => onChange?.(e.target.value)} />;
  } else {
    const type = kind === 'datetime' ? 'datetime-local' : kind === 'number' ? 'text' : kind;
    input = (
      <input
        {...common}
        type={type}
        defaultValue={props.defaultValue}
        placeholder={props.placeholder}
        autoComplete={props.autoComplete}
        accept={props.accept}
        inputMode={kind === 'number' ? props.inputMode ?? 'decimal' : props.inputMode}
        step={props.step}
        min={props.min}
        max={props.max}
        onChange={(e) => onChange?.(e.target.value)}
      />
    );
  }
  return (
    <div className={`field${kind === 'checkbox' ? ' field-check' : ''}${errors.length ? ' has-error' : ''}${props.className ? ` ${props.className}` : ''}`}>
      <span className="label-row">
        <label htmlFor={id}>{label}</label>
        {required ? <span aria-hidden="true" className="req" title="required">*</span> : null}
      </span>
      <div className="input-row">
        {input}
        {unit ? <span className="unit">{unit}</span> : null}
        {after}
      </div>
      {hint ? <div id={`${id}-hint`} className="hint">{hint}</div> : null}
      {errors.length ? (
        <ul id={`${id}-err`} className="field-errors" role="alert">
          {errors.map((m) => <li key={m}>{m}</li>)}
        </ul>
      ) : null}
    </div>
  );
}

/** The problem+json detail, and any field errors that have no input of their own on the form. */
export function ProblemAlert({ error, form, title }: { error: ApiError | undefined; form?: HTMLFormElement | null; title?: string }) {
  if (!error) return null;
  const fields = error.fieldErrors();
  const names = new Set(form ? Array.from(form.elements).map((e) => (e as HTMLInputElement).name).filter(Boolean) : []);
  const orphan = Object.entries(fields).filter(([field]) => !names.has(field));
  const fieldCount = Object.keys(fields).length;
  return (
    <div className="alert alert-error" role="alert" data-code={error.code}>
      <strong>{title ?? (error.status === 0 ? 'Not sent' : 'Not accepted')}:</strong> {error.problem.detail}
      {fieldCount > 0 && orphan.length < fieldCount ? <div>See the highlighted fields below.</div> : null}
      {orphan.length ? (
        <ul>
          {orphan.map(([field, messages]) => <li key={field}><code>{field}</code>: {messages.join('; ')}</li>)}
        </ul>
      ) : null}
      {error.problem.requestId ? <div className="muted small">Request id {error.problem.requestId}</div> : null}
    </div>
  );
}

/** Builds a JSON body from a form's named inputs (dotted paths, numeric segments make arrays). */
export function formBody(form: HTMLFormElement): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const element of Array.from(form.elements)) {
    const el = element as HTMLInputElement;
    if (!el.name || el.disabled || el.dataset.skip !== undefined) continue;
    if (el.type === 'radio' && !el.checked) continue;
    const kind = el.dataset.kind ?? 'text';
    let value: unknown;
    if (kind === 'checkbox') value = el.checked;
    else if (kind === 'file') continue;
    else {
      const raw = el.value.trim();
      if (raw === '') continue;
      if (kind === 'number') value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.replace(/,/g, '')) ? Number(raw.replace(/,/g, '')) : raw;
      else if (kind === 'datetime') value = toIso(raw);
      else if (kind === 'json') value = JSON.parse(raw);
      else value = raw;
    }
    setPath(body, el.name.split('.'), value);
  }
  return compact(body) as Record<string, unknown>;
}

function setPath(target: Record<string, unknown> | unknown[], path: string[], value: unknown): void {
  const [head, ...rest] = path;
  const key: string | number = /^\d+$/.test(head) ? Number(head) : head;
  if (rest.length === 0) {
    (target as Record<string | number, unknown>)[key] = value;
    return;
  }
  const container = target as Record<string | number, unknown>;
  if (container[key] === undefined) container[key] = /^\d+$/.test(rest[0]) ? [] : {};
  setPath(container[key] as Record<string, unknown>, rest, value);
}

/** Drops array holes and rows that were left empty. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact).filter((v) => !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  return value;
}

/** A datetime-local value (local time) as ISO 8601 UTC; other text passes through for the API to judge. */
export function toIso(local: string): string {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/** Now (or an offset in minutes) as a datetime-local value. */
export function localNow(offsetMinutes = 0): string {
  const d = new Date(Date.now() + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function Submit({ pending, children, className }: { pending: boolean; children: ReactNode; className?: string }) {
  return (
    <button type="submit" className={className ?? 'btn btn-primary'} disabled={pending} aria-busy={pending || undefined}>
      {pending ? 'Saving…' : children}
    </button>
  );
}
