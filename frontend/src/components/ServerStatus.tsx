/**
 * What the server is running on, from `GET /health`: overall status, profile, and which chat and embedding
 * providers are active. "Offline mode" is said plainly, because offline answers are built differently.
 */

import { useEffect, useState, type ReactNode } from "react";
import { isAbortError } from "../api/client";
import { fetchHealth, type ComponentHealth, type HealthReport } from "../api/health";

type Load = { state: "loading" } | { state: "ok"; report: HealthReport } | { state: "error"; message: string };

function Backend({ component }: { component: ComponentHealth | undefined }) {
  if (!component) return <span className="muted">not reported</span>;
  if (component.status !== "ok") {
    return <span className="badge badge-danger">failing: {component.error ?? "unknown error"}</span>;
  }
  return <>{component.backend ?? "ok"}</>;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function ServerStatus() {
  const [load, setLoad] = useState<Load>({ state: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    fetchHealth(controller.signal)
      .then((report) => setLoad({ state: "ok", report }))
      .catch((error: unknown) => {
        if (isAbortError(error)) return;
        setLoad({ state: "error", message: error instanceof Error ? error.message : "Health check failed." });
      });
    return () => controller.abort();
  }, []);

  if (load.state === "loading") {
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Checking the server…
      </p>
    );
  }
  if (load.state === "error") {
    return (
      <p className="alert alert-error" role="alert" data-testid="health-error">
        {load.message}
      </p>
    );
  }

  const { report } = load;
  const { providers, database, jobs, storage } = report.components;
  const healthy = report.status === "ok";
  return (
    <div className="stack-sm">
      <div className="cluster" data-testid="health-badges">
        <span className={`badge ${healthy ? "badge-ok" : "badge-danger"}`} data-testid="health-status">
          {healthy ? "All systems working" : `Degraded: ${report.failing.join(", ")}`}
        </span>
        <span className="badge badge-info" data-testid="health-profile">
          Profile: {report.profile}
        </span>
        {providers?.offline && (
          <span
            className="badge badge-warn"
            data-testid="offline-badge"
            title="No language model is configured: answers come from deterministic offline methods."
          >
            Offline mode
          </span>
        )}
      </div>
      <dl className="status-list small" data-testid="health-details">
        <Row label="Chat model">
          {providers?.chat ?? "not reported"}
          {providers?.offline ? <span className="muted"> (no language model configured)</span> : null}
        </Row>
        <Row label="Embeddings">{providers?.embeddings ?? "not reported"}</Row>
        <Row label="Database">
          <Backend component={database} />
        </Row>
        <Row label="Jobs">
          <Backend component={jobs} />
        </Row>
        <Row label="Storage">
          <Backend component={storage} />
        </Row>
      </dl>
    </div>
  );
}
