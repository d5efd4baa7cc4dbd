/** The fallback shown while a lazily loaded app arrives. */

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="container" style={{ paddingBlock: "var(--space-6)" }}>
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> {label}
      </p>
    </div>
  );
}
