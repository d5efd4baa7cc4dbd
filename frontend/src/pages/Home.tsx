/** `/`: what Scriptorium is, the two apps, and what the server is running on. */

import { Link } from "react-router-dom";
import { ServerStatus } from "../components/ServerStatus";
import { useDocumentTitle } from "../components/useDocumentTitle";

const APPS = [
  {
    to: "/scribe",
    name: "Scribe",
    action: "Open Scribe",
    summary: "Researched, personal outreach email.",
    detail:
      "Give a template and a list of recipients. Scribe researches each person's work, writes one email per " +
      "recipient in your voice, and shows which source every personal detail came from.",
  },
  {
    to: "/read",
    name: "Reader",
    action: "Start reading",
    summary: "A spoiler-safe reading companion.",
    detail:
      "Read a comic page by page and ask questions as you go. Answers only use what you have already read, " +
      "with the pages they came from.",
  },
] as const;

export default function Home() {
  useDocumentTitle("");
  return (
    <div className="container stack-lg">
      <header className="page-header">
        <h1>Scriptorium</h1>
        <p>Two small, self-hosted writing and reading tools on one server. They run offline and keep your data here.</p>
      </header>

      <section aria-labelledby="apps-title" className="stack">
        <h2 id="apps-title" className="visually-hidden">
          Apps
        </h2>
        <div className="grid-cards">
          {APPS.map((app) => (
            <article key={app.to} className="card card-link stack-sm" aria-labelledby={`app-${app.name}`}>
              <h3 id={`app-${app.name}`}>{app.name}</h3>
              <p className="small" style={{ fontWeight: 600 }}>
                {app.summary}
              </p>
              <p className="muted">{app.detail}</p>
              <div>
                <Link className="btn btn-primary" to={app.to}>
                  {app.action}
                </Link>
              </div>
            </article>
          ))}
        </div>
      </section>

      <section className="card stack-sm" aria-labelledby="server-title">
        <h2 id="server-title">Server</h2>
        <ServerStatus />
      </section>
    </div>
  );
}
