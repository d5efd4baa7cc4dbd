/**
 * The live queue: one row per email with its progress bar and current step, fed by the server-sent snapshot
 * stream (`/api/queue/stream`), with a plain fetch first so the page is never empty while the stream connects.
 * A finished batch whose drafts need review because research sources were unreachable says so once, at the top,
 * with one "Retry all".
 */

import { useEffect, useMemo, useState, type CSSProperties } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { STATUS_LABELS, STEP_LABELS, scribeApi, statusBadge } from "./api";
import { OutageBanner } from "./OutageBanner";
import type { Outage, QueueItem } from "./types";

export function useQueue(): { items: QueueItem[] | null; error: string | null } {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    scribeApi
      .queue()
      .then((first) => live && setItems((current) => current ?? first))
      .catch((problem: unknown) => live && setError(problem instanceof Error ? problem.message : String(problem)));
    const stream = scribeApi.watchQueue(
      (snapshot) => {
        setItems(snapshot);
        setError(null);
      },
      (message) => setError(`Live updates stopped: ${message}`),
    );
    return () => {
      live = false;
      stream.close();
    };
  }, []);
  return { items, error };
}

/** Finished batches that have drafts needing review, keyed so a change in any of their items refetches. */
function reviewableBatches(items: QueueItem[] | null): string[] {
  const batches = new Map<string, QueueItem[]>();
  for (const item of items ?? []) {
    if (item.batch_id) batches.set(item.batch_id, [...(batches.get(item.batch_id) ?? []), item]);
  }
  return [...batches.entries()]
    .filter(([, group]) => group.every((item) => item.status !== "pending" && item.status !== "processing"))
    .filter(([, group]) => group.some((item) => item.status === "needs_review"))
    .map(([batchId, group]) => `${batchId}:${group.map((item) => `${item.id}.${item.status}`).join(",")}`);
}

/** The research outage of each finished batch (asked once per change of the batch's items). */
function useOutages(items: QueueItem[] | null): [string, Outage][] {
  const keys = reviewableBatches(items);
  const signature = keys.join("|");
  const [outages, setOutages] = useState<Record<string, Outage | null>>({});
  useEffect(() => {
    let live = true;
    for (const key of signature ? signature.split("|") : []) {
      const batchId = key.split(":")[0] ?? "";
      scribeApi
        .batch(batchId)
        .then((review) => live && setOutages((current) => ({ ...current, [batchId]: review.outage ?? null })))
        .catch(() => undefined); // the banner is a help, not a requirement: the queue still works without it
    }
    return () => {
      live = false;
    };
  }, [signature]);
  return useMemo(() => {
    const shown = new Set(signature ? signature.split("|").map((key) => key.split(":")[0] ?? "") : []);
    return Object.entries(outages).filter((entry): entry is [string, Outage] => shown.has(entry[0]) && entry[1] !== null);
  }, [outages, signature]);
}

function describe(item: QueueItem): string {
  if (item.status === "pending") {
    if (item.error_message) return item.error_message;
    return item.position ? `Waiting · #${item.position} in line` : "Waiting";
  }
  if (item.status === "processing") return STEP_LABELS[item.current_step ?? ""] ?? "Starting";
  if (item.status === "failed") return item.error_message ?? "Failed";
  if (item.status === "cancelled") return "Cancelled";
  const seconds = Object.values(item.step_timings).reduce((sum, value) => sum + (value ?? 0), 0);
  return seconds ? `Done in ${seconds.toFixed(1)} s` : "Done";
}

export function QueueView({ queue }: { queue: { items: QueueItem[] | null; error: string | null } }) {
  const { items, error } = queue;
  const toast = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  const outages = useOutages(items);

  async function act(item: QueueItem, action: "cancel" | "retry") {
    setBusy(item.id);
    try {
      if (action === "cancel") await scribeApi.cancel(item.id);
      else await scribeApi.retry(item.id);
    } catch (problem) {
      toast(problem instanceof ApiError ? problem.message : "That did not work.", { kind: "error" });
    } finally {
      setBusy(null);
    }
  }

  if (items === null) {
    return error ? (
      <p className="alert alert-error">{error}</p>
    ) : (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Loading the queue…
      </p>
    );
  }
  const done = items.filter((item) => item.status === "completed" || item.status === "needs_review").length;
  const active = items.filter((item) => item.status === "pending" || item.status === "processing").length;

  return (
    <section className="stack" aria-labelledby="queue-title">
      <div className="spread">
        <h2 id="queue-title" className="h-section">
          Queue
        </h2>
        <span className="small muted" data-testid="queue-summary">
          {done} of {items.length} written{active > 0 ? ` · ${active} in progress` : ""}
        </span>
      </div>
      {error && <p className="alert alert-info small">{error}</p>}
      {outages.map(([batchId, outage]) => (
        <OutageBanner key={batchId} batchId={batchId} outage={outage} />
      ))}
      {items.length === 0 ? (
        <div className="empty">
          Nothing queued in the last 24 hours. <Link to="/scribe">Write a batch</Link>.
        </div>
      ) : (
        <ul className="queue-list" aria-live="polite">
          {items.map((item) => (
            <li key={item.id} className="queue-item card" data-status={item.status} data-testid="queue-item">
              <div className="spread">
                <div className="queue-who">
                  <strong>{item.recipient_name}</strong>
                  <span className="small muted"> · {item.recipient_interest}</span>
                  {item.origin === "regenerate" && <span className="small muted"> · rewrite of an earlier draft</span>}
                </div>
                <span className={`badge ${statusBadge(item.status)}`}>{STATUS_LABELS[item.status]}</span>
              </div>
              <div
                className="progress-bar"
                role="progressbar"
                aria-label={`Progress for ${item.recipient_name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(item.progress * 100)}
              >
                <div
                  className={`progress-fill${item.status === "processing" ? " progress-live" : ""}`}
                  style={{ "--value": `${Math.round(item.progress * 100)}%` } as CSSProperties}
                />
              </div>
              <div className="spread">
                <span className={`small ${item.status === "failed" ? "field-error" : "muted"}`} data-testid="queue-step">
                  {describe(item)}
                </span>
                <span className="cluster">
                  {(item.status === "pending" || item.status === "processing") && (
                    <button type="button" className="btn btn-ghost btn-sm" disabled={busy === item.id}
                      onClick={() => void act(item, "cancel")}>
                      Cancel
                    </button>
                  )}
                  {(item.status === "failed" || item.status === "cancelled") && (
                    <button type="button" className="btn btn-sm" disabled={busy === item.id}
                      onClick={() => void act(item, "retry")}>
                      Retry
                    </button>
                  )}
                  {item.email_id && (
                    <Link className="btn btn-sm" to={`/scribe/emails/${item.email_id}`}>
                      Open email
                    </Link>
                  )}
                </span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
