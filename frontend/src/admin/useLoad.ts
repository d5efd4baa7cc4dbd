/**
 * One loader for every admin section: loading, data or error, a `reload`, and cancellation when the inputs change
 * or the view goes away. A 403 is not shown in the section: it is reported to the admin area, which replaces the
 * whole page with "Admins only" (the server is the one that knows who is an admin).
 */

import { createContext, useCallback, useContext, useEffect, useState, type DependencyList } from "react";
import { ApiError, isAbortError } from "../api/client";

export const ForbiddenContext = createContext<(error: ApiError) => void>(() => undefined);

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** The HTTP status of the last failure (404: no such user), or null. */
  status: number | null;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Loaded<T> {
  const forbidden = useContext(ForbiddenContext);
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    setStatus(null);
    load(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoading(false);
      })
      .catch((problem: unknown) => {
        if (controller.signal.aborted || isAbortError(problem)) return;
        if (problem instanceof ApiError && problem.status === 403) forbidden(problem);
        setError(problem instanceof Error ? problem.message : String(problem));
        setStatus(problem instanceof ApiError ? problem.status : null);
        setLoading(false);
      });
    return () => controller.abort();
    // `load` is a fresh closure each render; the caller's deps say when it really changed.
  }, [...deps, round, forbidden]);

  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { data, error, status, loading, reload };
}
