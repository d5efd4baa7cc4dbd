/**
 * `/status`: what the server is running on (the `/health` report), for whoever runs it. It used to be on the start
 * page, where readers met database and job-queue names first; now the start page is for readers and this page
 * is one link away in the footer.
 */

import { ServerStatus } from "../components/ServerStatus";
import { useDocumentTitle } from "../components/useDocumentTitle";

export default function Status() {
  useDocumentTitle("Server status");
  return (
    <div className="container stack-lg">
      <header className="page-header">
        <h1>Server status</h1>
        <p>What this server runs on and whether every part of it answers. The same report is at /health.</p>
      </header>
      <section className="card stack-sm" aria-label="Server">
        <ServerStatus />
      </section>
    </div>
  );
}
