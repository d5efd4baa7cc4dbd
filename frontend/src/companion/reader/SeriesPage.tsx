/**
 * `/read/series/:series`: one comic on its own page: its name, its blurb (gated at the reader's page like any
 * story text), how long it is, and its episodes, with where to start or carry on.
 */

import { Link, useParams } from "react-router-dom";
import { Loading } from "../../components/Loading";
import { useDocumentTitle } from "../../components/useDocumentTitle";
import { EpisodeList } from "../EpisodePicker";
import { useLibrary } from "./library";
import "./library.css";

export function SeriesPage() {
  const { series: slug = "" } = useParams();
  const { shelves, error } = useLibrary();
  const shelf = shelves?.find((candidate) => candidate.series.slug === slug);
  useDocumentTitle(shelf ? shelf.series.title : "Companion");
  const next = shelf?.episodes.find((card) => card.reading_status !== "finished") ?? shelf?.episodes[0];
  const pages = shelf?.episodes.reduce((total, card) => total + card.page_count, 0) ?? 0;

  return (
    <div className="container rd-picker">
      <p className="small">
        <Link to="/read">← All comics</Link>
      </p>
      {error && <div className="alert alert-error">{error}</div>}
      {!shelves && !error && <Loading />}
      {shelves && !shelf && (
        <div className="empty">
          <p>There is no comic called “{slug}” here.</p>
          <Link className="btn" to="/read">
            See the comics
          </Link>
        </div>
      )}
      {shelf && (
        <>
          <header className="page-header rd-series-header">
            <p className="rd-series-kicker">Comic</p>
            <h1>{shelf.series.title}</h1>
            {shelf.series.description && <p>{shelf.series.description}</p>}
            <p className="small muted">
              {shelf.episodes.length} {shelf.episodes.length === 1 ? "episode" : "episodes"} · {pages} pages
            </p>
            {next && (
              <p>
                <Link
                  className="btn btn-primary"
                  to={`/read/${next.slug}${next.current_page ? `/${next.current_page}` : ""}`}
                >
                  {next.reading_status === "unread" ? `Start with episode ${next.episode_number}` : `Continue episode ${next.episode_number}`}
                </Link>
              </p>
            )}
          </header>
          <h2 className="rd-shelf-title">Episodes</h2>
          <EpisodeList shelf={shelf} />
        </>
      )}
    </div>
  );
}
