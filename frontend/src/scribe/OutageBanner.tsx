/**
 * A research outage said once for a batch ("Couldn't reach OpenAlex and arXiv for 4 emails in this batch") with
 * one button that regenerates those emails. Emails holding the user's edit are skipped by the server and named.
 */

import { useState } from "react";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { scribeApi } from "./api";
import type { Outage } from "./types";

export function OutageBanner({
  batchId,
  outage,
  onRetried,
}: {
  batchId: string;
  outage: Outage;
  onRetried?: () => void;
}) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  async function retry() {
    setBusy(true);
    try {
      const answer = await scribeApi.retryBatch(batchId);
      const skipped = answer.skipped.map((item) => item.reason);
      toast(skipped.length ? `${answer.message} (${[...new Set(skipped)].join("; ")})` : answer.message, {
        kind: answer.queued.length ? "ok" : "info",
      });
      onRetried?.();
    } catch (problem) {
      toast(problem instanceof ApiError ? problem.message : "The retry did not start.", { kind: "error" });
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="alert outage-banner spread" role="status" data-testid="outage-banner">
      <span>
        <strong>{outage.message}</strong>{" "}
        <span className="small muted">Those drafts need review only because the research could not be done.</span>
      </span>
      <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={() => void retry()}>
        {busy ? "Retrying…" : "Retry all"}
      </button>
    </div>
  );
}
