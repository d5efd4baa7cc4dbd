/**
 * `/`: the start page, for readers first. The comic (its first episode's cover, which anyone opening it sees, its
 * name and blurb) and the way into it come first, then the two apps. What the server runs on is for operators
 * and lives at `/status` (and `/health`), linked from the footer.
 */

import { Link } from "react-router-dom";
import type { Shelf } from "../companion/reader/library";
import { useLibrary } from "../companion/reader/library";
import { useDocumentTitle } from "../components/useDocumentTitle";
import "./home.css";

const APPS = [
  {
    to: "/read",
    name: "Companion",
    action: "Start reading",
    summary: "Read comics with a companion who never spoils.",
    detail:
      "Read a comic page by page and ask questions as you go. Answers only use what you have already read, " +
      "with the pages they came from.",
  },
  {
    to: "/scribe",
    name: "Scribe",
    action: "Open Scribe",
    summary: "Researched, personal outreach email.",
    detail:
      "Give a template and a list of recipients. Scribe researches each person's work, writes one email per " +
      "recipient in your voice, and shows which source every personal detail came from.",
  },
] as const;

function Featured({ shelf }: { shelf: Shelf }) {
  const first = shelf.episodes[0];
  const next = shelf.episodes.find((card) => card.reading_status === "reading") ?? first;
  if (!first || !next) return null;
  const to = `/read/${next.slug}${next.current_page ? `/${next.current_page}` : ""}`;
  return (
    <article className="card home-comic" aria-labelledby={`comic-${shelf.series.slug}`}>
      {first.cover_image_url && <img className="home-comic-cover" src={first.cover_image_url} alt="" />}
      <div className="stack-sm">
        <p className="small muted">
          A comic · {shelf.episodes.length} {shelf.episodes.length === 1 ? "episode" : "episodes"}
        </p>
        <h2 id={`comic-${shelf.series.slug}`} className="home-comic-title">
          {shelf.series.title}
        </h2>
        {shelf.series.description && <p>{shelf.series.description}</p>}
        <div className="cluster">
          <Link className="btn btn-primary" to={to}>
            {next.reading_status === "reading" ? `Continue episode ${next.episode_number}` : "Read episode 1"}
          </Link>
          <Link className="btn" to={`/read/series/${shelf.series.slug}`}>
            About this comic
          </Link>
        </div>
      </div>
    </article>
  );
}

export default function Home() {
  useDocumentTitle("");
  const { shelves } = useLibrary();
  return (
    <div className="container stack-lg">
      <header className="page-header">
        <h1>Scriptorium</h1>
        <p>Read comics with a companion who only knows the pages you have read, and write researched, personal email.</p>
      </header>

      {shelves && shelves.length > 0 && (
        <section aria-label="Comics" className="stack">
          {shelves.map((shelf) => (
            <Featured key={shelf.series.slug} shelf={shelf} />
          ))}
        </section>
      )}

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
    </div>
  );
}
