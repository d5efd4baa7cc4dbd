/**
 * `/read`: the comics and their episodes. Each comic shows its name and blurb; each episode its number, title and
 * length. Covers show for episodes the reader has reached (a cover is no spoiler then) and always for episode 1,
 * whose first page anyone opening it sees; an episode not reached yet gets a veiled tile cut from that same cover,
 * so the shelf looks like the comic without showing anything new. Reached episodes add the story so far, which
 * the server builds up to the reader's page.
 */

import { Link } from "react-router-dom";
import { Loading } from "../components/Loading";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { useLibrary, type Shelf } from "./reader/library";
import "./reader/library.css";
import type { EpisodeCard } from "./types";

function statusLabel(card: EpisodeCard): string {
  if (card.reading_status === "finished") return "Finished";
  if (card.reading_status === "reading" && card.current_page) return `On page ${card.current_page}`;
  if (card.reading_status === "reading") return "Reading";
  return "Not started";
}

function Card({ card, veil, level }: { card: EpisodeCard; veil: string | null; level: 2 | 3 }) {
  const Title = level === 2 ? "h2" : "h3";
  const target = `/read/${card.slug}${card.current_page ? `/${card.current_page}` : ""}`;
  const action = card.reading_status === "unread" ? "Start reading" : card.reading_status === "finished" ? "Read again" : "Continue";
  return (
    <li className={`rd-card rd-card-${card.reading_status}`}>
      {/* The title is the link and its ::after covers the card, so the whole card is a target while the link's
          name stays its visible title (a link around everything would have to be named by all of its text). */}
      <div className="rd-card-box">
        <div className={`rd-cover ${card.cover_image_url ? "" : "rd-cover-veiled"}`} aria-hidden="true">
          {card.cover_image_url ? (
            <img src={card.cover_image_url} alt="" loading="lazy" />
          ) : (
            <>
              {veil && <img className="rd-cover-veil" src={veil} alt="" loading="lazy" />}
              <span className="rd-cover-label">
                <span className="rd-cover-kicker">Episode</span>
                <span className="rd-cover-number">{card.episode_number}</span>
              </span>
            </>
          )}
        </div>
        <div className="rd-card-body">
          <p className="rd-card-kicker">
            Episode {card.episode_number} · {card.page_count} pages
          </p>
          <Title className="rd-card-title">
            <Link
              to={target}
              className="rd-card-link"
              aria-label={`${action}: episode ${card.episode_number}, ${card.title}`}
            >
              {card.title}
            </Link>
          </Title>
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
      </div>
    </li>
  );
}

/** One comic's episodes; `veil` is the first episode's cover, blurred behind the tiles of unreached ones. */
export function EpisodeList({ shelf, level = 3 }: { shelf: Shelf; level?: 2 | 3 }) {
  const veil = shelf.episodes[0]?.cover_image_url ?? null;
  return (
    <ol className="rd-cards" aria-label={`Episodes of ${shelf.series.title}`}>
      {shelf.episodes.map((card) => (
        <Card key={card.id} card={card} veil={veil} level={level} />
      ))}
    </ol>
  );
}

export function NoComics() {
  return (
    <div className="empty rd-empty">
      <p>No comics here yet.</p>
      <p className="small muted">When a comic is added to this site, its episodes will appear here, ready to read.</p>
      <Link className="btn" to="/">
        Back to the start page
      </Link>
    </div>
  );
}

export function EpisodePicker() {
  useDocumentTitle("Companion");
  const { shelves, error } = useLibrary();
  const single = shelves?.length === 1 ? shelves[0] : undefined;

  return (
    <div className="container rd-picker">
      <header className="page-header">
        {single ? (
          <>
            <p className="rd-series-kicker">Companion</p>
            <h1>{single.series.title}</h1>
            {single.series.description && <p>{single.series.description}</p>}
            <p className="small">
              <Link to={`/read/series/${single.series.slug}`}>About this comic</Link>
            </p>
          </>
        ) : (
          <>
            <h1>Companion</h1>
            <p>
              Read a comic with a companion who only knows what you have read: ask about the page, look people and
              places up, and watch the world map grow as you go.
            </p>
          </>
        )}
      </header>
      {error && <div className="alert alert-error">{error}</div>}
      {!shelves && !error && <Loading />}
      {shelves && shelves.length === 0 && <NoComics />}
      {single && <EpisodeList shelf={single} level={2} />}
      {shelves &&
        shelves.length > 1 &&
        shelves.map((shelf) => (
          <section key={shelf.series.slug} className="rd-shelf" aria-labelledby={`shelf-${shelf.series.slug}`}>
            <h2 id={`shelf-${shelf.series.slug}`}>
              <Link to={`/read/series/${shelf.series.slug}`}>{shelf.series.title}</Link>
            </h2>
            {shelf.series.description && <p className="rd-shelf-blurb">{shelf.series.description}</p>}
            <EpisodeList shelf={shelf} />
          </section>
        ))}
    </div>
  );
}
