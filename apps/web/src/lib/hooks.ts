import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/** GETs a path (null: nothing to load) and reloads on demand; stale responses are dropped. */
export function useApi<T>(path: string | null, options: { pollMs?: number } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    api.get<T>(path, controller.signal).then(
      (value) => {
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiError ? e : new ApiError({ status: 0, code: 'client', detail: String(e) }));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [path, tick]);
  const poll = options.pollMs;
  useEffect(() => {
    if (!poll || path === null) return;
    const id = setInterval(() => setTick((t) => t + 1), poll);
    return () => clearInterval(id);
  }, [poll, path]);
  return { data, error, loading, reload, setData };
}

/** Runs a command, keeping its pending state and its ApiError for the form to show. */
export function useCommand<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const runRef = useRef(run);
  runRef.current = run;
  const execute = useCallback(async (...args: A): Promise<R | undefined> => {
    setPending(true);
    setError(undefined);
    try {
      return await runRef.current(...args);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ status: 0, code: 'client', detail: e instanceof Error ? e.message : String(e) }));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { execute, pending, error, setError };
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Exolot` : 'Exolot';
  }, [title]);
}
