/**
 * The episode picker. Episodes the reader hasn't reached show only their number, title and length: no cover, no
 * story text. Reached ones show a cover and the story so far, which the server builds up to the reader's page.
 */

import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../api/client";
import { Loading } from "../components/Loading";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { listEpisodes } from "./api";
import type { EpisodeCard } from "./types";

function statusLabel(card: EpisodeCard): string {
  if (card.reading_status === "finished") return "Finished";
  if (card.reading_status === "reading" && card.current_page) return `On page ${card.current_page}`;
  if (card.reading_status === "reading") return "Reading";
  return "Not started";
}

function Card({ card }: { card: EpisodeCard }) {
  const target = `/read/${card.slug}${card.current_page ? `/${card.current_page}` : ""}`;
  const action = card.reading_status === "unread" ? "Start reading" : card.reading_status === "finished" ? "Read again" : "Continue";
  return (
    <li className={`rd-card rd-card-${card.reading_status}`}>
      <Link to={target} className="rd-card-link" aria-label={`${action}: episode ${card.episode_number}, ${card.title}`}>
        <div className="rd-cover" aria-hidden="true">
          {card.cover_image_url ? (
            <img src={card.cover_image_url} alt="" loading="lazy" />
          ) : (
            <span className="rd-cover-number">{card.episode_number}</span>
          )}
        </div>
        <div className="rd-card-body">
          <p className="rd-card-kicker">
            Episode {card.episode_number} · {card.page_count} pages
          </p>
          <h2 className="rd-card-title">{card.title}</h2>
          {card.plot_summary ? (
            <p className="rd-card-summary">{card.plot_summary}</p>
          ) : (
            <p className="rd-card-summary muted">No story notes yet: they appear as you read, never ahead of you.</p>
          )}
          <p className="rd-card-foot">
            <span className={`badge ${card.reading_status === "finished" ? "badge-ok" : card.reading_status === "reading" ? "badge-info" : "badge-muted"}`}>
              {statusLabel(card)}
            </span>
            <span className="rd-card-action">{action} →</span>
          </p>
        </div>
      </Link>
    </li>
  );
}

export function EpisodePicker() {
  useDocumentTitle("Reader");
  const [cards, setCards] = useState<EpisodeCard[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    listEpisodes(controller.signal)
      .then(setCards)
      .catch((reason: unknown) => {
        if (controller.signal.aborted) return;
        setError(reason instanceof ApiError ? reason.message : "Could not load the episodes.");
      });
    return () => controller.abort();
  }, []);

  return (
    <div className="container rd-picker">
      <header className="page-header">
        <h1>Reader</h1>
        <p>
          Read the comic with a companion who only knows what you have read: ask about the page, look things up in
          the wiki, and watch the world map grow as you go.
        </p>
      </header>
      {error && <div className="alert alert-error">{error}</div>}
      {!cards && !error && <Loading />}
      {cards && cards.length === 0 && (
        <div className="empty">
          <p>No comic is loaded yet.</p>
          <p className="small muted">
            Load the bundled sample with <code>scriptorium companion load-sample</code>, or import your own with{" "}
            <code>scriptorium companion ingest PATH</code>.
          </p>
        </div>
      )}
      {cards && cards.length > 0 && (
        <ol className="rd-cards" aria-label="Episodes">
          {cards.map((card) => (
            <Card key={card.id} card={card} />
          ))}
        </ol>
      )}
    </div>
  );
}
