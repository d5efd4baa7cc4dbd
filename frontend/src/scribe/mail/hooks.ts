/**
 * Mail state the views share: the user's accounts (loaded once per view), and a run followed until it finishes.
 * A run is polled (one small GET a second) rather than streamed: runs are short, rare, and a poll survives a
 * server restart mid-run without reconnect logic.
 */

import { useCallback, useEffect, useRef, useState } from "react";
import { mailApi } from "./api";
import { problemWords, runFinished } from "./logic";
import type { EmailMail, MailAccount, MailRun } from "./types";

export interface Accounts {
  accounts: MailAccount[] | null;
  error: string | null;
  reload: () => void;
  replace: (account: MailAccount) => void;
  remove: (id: string) => void;
  add: (account: MailAccount) => void;
}

export function useAccounts(): Accounts {
  const [accounts, setAccounts] = useState<MailAccount[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    mailApi
      .accounts()
      .then((list) => (setAccounts(list), setError(null)))
      .catch((problem: unknown) => setError(problemWords(problem, "Could not load your mail accounts.")));
  }, []);
  useEffect(reload, [reload]);
  return {
    accounts,
    error,
    reload,
    replace: (account) => setAccounts((list) => (list ?? []).map((a) => (a.id === account.id ? account : a))),
    remove: (id) => setAccounts((list) => (list ?? []).filter((a) => a.id !== id)),
    add: (account) => setAccounts((list) => [...(list ?? []), account]),
  };
}

const POLL_MS = 1000;
/** Said on `window` when a run finishes, so every badge on the page asks for the new states. */
const RUN_FINISHED = "scribe-mail-run-finished";

/** Follow a run until it is done, failed or cancelled; `null` until one is started. */
export function useRunFollower(): {
  run: MailRun | null;
  error: string | null;
  follow: (run: MailRun) => void;
  clear: () => void;
} {
  const [run, setRun] = useState<MailRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const generation = useRef(0);

  const stop = useCallback(() => {
    generation.current += 1;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  }, []);
  useEffect(() => stop, [stop]);

  const follow = useCallback(
    (first: MailRun) => {
      stop();
      const mine = generation.current;
      setRun(first);
      setError(null);
      const poll = (current: MailRun, misses: number) => {
        if (current.dry_run) return;
        if (runFinished(current.status)) {
          window.dispatchEvent(new Event(RUN_FINISHED));
          return;
        }
        timer.current = setTimeout(() => {
          mailApi
            .run(current.id)
            .then((next) => {
              if (generation.current !== mine) return;
              setRun(next);
              setError(null);
              poll(next, 0);
            })
            .catch((problem: unknown) => {
              if (generation.current !== mine) return;
              // The server may be restarting: say so, keep asking (a little slower), never lose the run.
              setError(problemWords(problem, "Lost touch with the server; still trying."));
              poll(current, misses + 1);
            });
        }, POLL_MS * Math.min(1 + misses, 5));
      };
      poll(first, 0);
    },
    [stop],
  );
  const clear = useCallback(() => (stop(), setRun(null), setError(null)), [stop]);
  return { run, error, follow, clear };
}

/**
 * The mail state of the emails on screen (one request for a page of them), asked again on `reload`. A failure
 * leaves the badges out rather than breaking the page that shows them.
 */
export function useMailStates(ids: string[]): { states: Record<string, EmailMail>; reload: () => void } {
  const [states, setStates] = useState<Record<string, EmailMail>>({});
  const [revision, setRevision] = useState(0);
  const key = ids.join(",");
  useEffect(() => {
    if (!key) return;
    let live = true;
    mailApi
      .states(key.split(","))
      .then((found) => live && setStates(found))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [key, revision]);
  const reload = useCallback(() => setRevision((count) => count + 1), []);
  useEffect(() => {
    window.addEventListener(RUN_FINISHED, reload);
    return () => window.removeEventListener(RUN_FINISHED, reload);
  }, [reload]);
  return { states, reload };
}
