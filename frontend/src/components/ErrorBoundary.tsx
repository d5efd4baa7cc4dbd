/**
 * Catches a crash in one app (or a lazily loaded chunk that no longer exists after a deploy) and shows a way
 * out, instead of a blank page for the whole site.
 */

import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("page crashed", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="container">
        <section className="card stack" role="alert" style={{ marginTop: "var(--space-6)" }}>
          <h1>This page stopped working</h1>
          <p className="muted">
            Something went wrong while showing this page. Reloading usually fixes it (a new version may have been
            deployed).
          </p>
          <div className="cluster">
            <button className="btn btn-primary" type="button" onClick={() => window.location.reload()}>
              Reload
            </button>
            <a className="btn" href="/">
              Start page
            </a>
          </div>
        </section>
      </div>
    );
  }
}
