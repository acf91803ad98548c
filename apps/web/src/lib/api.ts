/** The API client: same origin, bearer token from sessionStorage, problem+json errors as ApiError. */

export interface FieldError {
  field: string;
  rule?: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail: string;
  requestId?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
  /** Field errors keyed by dotted path (`cellCulture.passageNumber`), messages de-duplicated. */
  fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const e of this.problem.errors ?? []) {
      const list = (out[e.field] ??= []);
      if (!list.includes(e.message)) list.push(e.message);
    }
    return out;
  }
}

const TOKEN_KEY = 'exolot.session';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
}

export type Role = 'technician' | 'qa_manager' | 'admin' | 'clinic';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null): void {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

type Listener = (problem: ApiError) => void;
const unauthenticatedListeners = new Set<Listener>();
/** Called when a signed-in request gets 401 auth.unauthenticated (session expired or revoked). */
export function onSessionLost(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  /** Do not treat a 401 as a lost session (signature and login forms re-enter a password). */
  credentialCheck?: boolean;
  accept?: string;
}

/**
 * Commands carry an Idempotency-Key: a fresh one per submission. When a submission's outcome is
 * unknown (no answer, a 5xx, or "still in progress"), its key is kept for that exact request, so
 * submitting the same thing again is answered with the stored result instead of doing it twice.
 */
const unsettledKeys = new Map<string, string>();

function newIdempotencyKey(): string {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A short digest of the body, so no password typed into a form is kept here in clear. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return `${(hash >>> 0).toString(16)}.${text.length}`;
}

function outcomeUnknown(status: number, code?: string): boolean {
  return status === 0 || status >= 500 || code === 'idempotency.in_progress';
}

async function toProblem(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === 'object' && typeof body.detail === 'string') {
      return { ...body, status: body.status ?? res.status, code: body.code ?? `http.${res.status}`, detail: body.detail } as Problem;
    }
  } catch {
    /* not JSON */
  }
  return { status: res.status, code: `http.${res.status}`, detail: res.status >= 500 ? 'The service had a problem; try again shortly.' : `The request failed (${res.status}).` };
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  // The same submission is the same method, path and JSON body; an upload gets a fresh key each time.
  const submission = method !== 'GET' && !options.form ? `${method} ${path} ${fnv1a(typeof body === 'string' ? body : '')}` : null;
  let key: string | undefined;
  if (method !== 'GET') {
    key = (submission && unsettledKeys.get(submission)) || newIdempotencyKey();
    headers['idempotency-key'] = key;
  }
  const settle = (status: number, code?: string) => {
    if (!submission || !key) return;
    unsettledKeys.delete(submission);
    if (outcomeUnknown(status, code)) {
      unsettledKeys.set(submission, key);
      if (unsettledKeys.size > 20) unsettledKeys.delete(unsettledKeys.keys().next().value!);
    }
  };
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    settle(0);
    throw new ApiError({ status: 0, code: 'network', detail: 'The service cannot be reached. Check the connection and try again.' });
  }
  if (!res.ok) {
    const err = new ApiError(await toProblem(res));
    settle(res.status, err.code);
    if (res.status === 401 && token && !options.credentialCheck && err.code === 'auth.unauthenticated') {
      for (const listener of unauthenticatedListeners) listener(err);
    }
    throw err;
  }
  settle(res.status);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return (await res.json()) as T;
  return (await res.blob()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
  post: <T>(path: string, body?: unknown, extra: Omit<RequestOptions, 'body'> = {}) => request<T>('POST', path, { body: body ?? {}, ...extra }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  form: <T>(path: string, form: FormData) => request<T>('POST', path, { form }),
};

/** Downloads a protected file (CoA PDF, CSV export) with the bearer token and saves it. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  if (!res.ok) throw new ApiError(await toProblem(res));
  const disposition = res.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = match?.[1] ?? fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}
