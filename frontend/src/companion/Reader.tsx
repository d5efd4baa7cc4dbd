/**
 * One episode: the flipbook, the chat beside it and the world overlay. Every move is sent to the server, which
 * keeps the page on screen (`current_page`, the left page of a spread, sent with `spread`) apart from the furthest
 * page reached (`furthest_page`, the spoiler cursor). Going back never lowers the furthest page: the companion keeps
 * what it knows and the conversation, and the bar offers the way back to where the reader had got to. Here
 * `cursor` is the rightmost page on screen.
 */

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError, isAbortError } from "../api/client";
import { Loading } from "../components/Loading";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { getEpisode, movePage, openSession } from "./api";
import { ChatPanel } from "./ChatPanel";
import { Flipbook } from "./Flipbook";
import type { Citation, EpisodeDetail, PageView, SessionCreated, Suggestion } from "./types";
import { clamp, cursorFor, leftPage } from "./position";
import { useSpread } from "./useSpread";
import { WorldOverlay } from "./WorldOverlay";

const DEFAULT_ASPECT = 600 / 847;

export function Reader() {
  const { episode: slug = "", page: pageParam } = useParams();
  const navigate = useNavigate();
  const [session, setSession] = useState<SessionCreated | null>(null);
  const [detail, setDetail] = useState<EpisodeDetail | null>(null);
  const [pages, setPages] = useState<Map<number, PageView>>(new Map());
  const [cursor, setCursor] = useState(1);
  const [furthest, setFurthest] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [worldOpen, setWorldOpen] = useState(false);
  // On a phone the chat is a sheet over the book: start with the book.
  const [chatOpen, setChatOpen] = useState(() => !window.matchMedia?.("(max-width: 900px)").matches);
  const [pendingAsk, setPendingAsk] = useState<Suggestion | null>(null);
  const bookRef = useRef<HTMLDivElement>(null);
  const moving = useRef<AbortController | null>(null);
  const cursorRef = useRef(cursor);
  // What the server was last told is on screen ("left:spread"): a spread changing under the same cursor must be
  // sent too, or the server would take the next page for the one beside the cursor.
  const sentRef = useRef("");
  cursorRef.current = cursor;

  const aspect = useMemo(() => {
    const first = detail?.pages.find((p) => p.image_metadata.width && p.image_metadata.height);
    return first ? (first.image_metadata.width ?? 600) / (first.image_metadata.height ?? 847) : DEFAULT_ASPECT;
  }, [detail]);
  const spread = useSpread(bookRef, aspect);
  useDocumentTitle(detail ? `Episode ${detail.episode_number}: ${detail.title}` : "Reader");

  const merge = useCallback((updates: PageView[]) => {
    setPages((previous) => {
      const next = new Map(previous);
      for (const page of updates) next.set(page.page_number, page);
      return next;
    });
  }, []);

  const load = useCallback(
    async (created: SessionCreated, signal?: AbortSignal) => {
      const episode = await getEpisode(created.episode_slug, created.session_id, signal);
      setDetail(episode);
      setPages(new Map(episode.pages.map((p) => [p.page_number, p])));
    },
    [],
  );

  // Open (or resume) the session whenever the episode changes; a deep link's page wins over the saved one.
  useEffect(() => {
    const controller = new AbortController();
    setSession(null);
    setDetail(null);
    setError(null);
    (async () => {
      const created = await openSession(slug);
      let page = created.current_page;
      let reached = created.furthest_page;
      const wanted = Number(pageParam);
      if (Number.isInteger(wanted) && wanted >= 1 && wanted !== page) {
        const moved = await movePage(created.session_id, clamp(wanted, 1, created.page_count), false, controller.signal);
        page = moved.current_page;
        reached = moved.furthest_page;
      }
      if (controller.signal.aborted) return;
      sentRef.current = `${page}:false`;
      setCursor(page);
      setFurthest(reached);
      setSession({ ...created, current_page: page });
      await load(created, controller.signal);
      navigate(`/read/${slug}/${page}`, { replace: true });
    })().catch((reason: unknown) => {
      if (isAbortError(reason) || controller.signal.aborted) return;
      setError(reason instanceof ApiError ? reason.message : "Could not open this episode.");
    });
    return () => controller.abort();
    // Only the episode re-opens the session: later page changes go through `goTo` below.
  }, [slug]); // eslint-disable-line react-hooks/exhaustive-deps

  const goTo = useCallback(
    (n: number) => {
      if (!session || !detail) return;
      const target = cursorFor(n, detail.page_count, spread);
      // The server is told the left page and whether the next one is on screen too (the original's spread).
      const shownLeft = leftPage(target, spread);
      const key = `${shownLeft}:${shownLeft !== target}`;
      if (target === cursorRef.current && key === sentRef.current) return;
      sentRef.current = key;
      setCursor(target);
      navigate(`/read/${slug}/${target}`, { replace: true });
      moving.current?.abort();
      const controller = new AbortController();
      moving.current = controller;
      movePage(session.session_id, shownLeft, shownLeft !== target, controller.signal)
        .then((moved) => {
          merge(moved.pages);
          setFurthest(moved.furthest_page);
        })
        .catch((reason: unknown) => {
          if (!isAbortError(reason)) setError(reason instanceof ApiError ? reason.message : "Could not turn the page.");
        });
    },
    [session, detail, spread, slug, navigate, merge],
  );

  // Entering or leaving spread mode keeps the cursor on the right-hand page of what is shown.
  useEffect(() => {
    if (detail) goTo(cursorRef.current);
  }, [spread, detail, goTo]);

  // A link to another page of this episode (a citation, the address bar) moves the reader there.
  useEffect(() => {
    const wanted = Number(pageParam);
    if (session && Number.isInteger(wanted) && wanted !== cursorRef.current) goTo(wanted);
  }, [pageParam, session, goTo]);

  const jump = useCallback(
    (citation: Citation) => {
      if (citation.page_number === null) return;
      if (citation.episode_slug && citation.episode_slug !== slug) {
        navigate(`/read/${citation.episode_slug}/${citation.page_number}`);
      } else {
        goTo(citation.page_number);
      }
    },
    [slug, navigate, goTo],
  );

  const newChat = useCallback(async () => {
    const created = await openSession(slug, false);
    setSession({ ...created });
    sentRef.current = `${created.current_page}:false`;
    setCursor(created.current_page);
    setFurthest(created.furthest_page);
  }, [slug]);

  if (error && !detail) {
    return (
      <div className="container rd-error">
        <div className="alert alert-error">{error}</div>
        <Link to="/read">← Back to the episodes</Link>
      </div>
    );
  }
  const count = detail?.page_count ?? 0;
  const left = leftPage(cursor, spread);
  const pill = spread && left !== cursor ? `Pages ${left}–${cursor} of ${count}` : `Page ${cursor} of ${count}`;
  const onScreen = spread && left !== cursor ? `pages ${left}–${cursor}` : `page ${cursor}`;
  const behind = detail !== null && cursor < furthest;

  return (
    <div className={`rd-reader ${chatOpen ? "rd-chat-open" : ""}`}>
      <header className="rd-bar">
        <Link to="/read" className="btn btn-ghost btn-sm rd-back">
          ← Episodes
        </Link>
        <div className="rd-bar-title">
          {detail ? (
            <>
              <span className="rd-bar-kicker">Episode {detail.episode_number}</span>
              <h1>{detail.title}</h1>
            </>
          ) : (
            <h1>Opening…</h1>
          )}
        </div>
        <span className="rd-pill" aria-live="polite" data-testid="page-pill">
          {detail ? pill : ""}
        </span>
        {behind && (
          // In the bar, never above the book: a notice that changed the book's height could flip spread mode.
          <span className="rd-behind" data-testid="furthest">
            <span className="rd-behind-text">
              You're on {onScreen} of the {furthest} you've read
            </span>
            <button type="button" className="btn btn-sm" onClick={() => goTo(furthest)}>
              Back to page {furthest}
            </button>
          </span>
        )}
        <button type="button" className="btn btn-sm" onClick={() => setWorldOpen(true)} disabled={!session}>
          World
        </button>
        <button
          type="button"
          className="btn btn-sm rd-chat-toggle"
          aria-pressed={chatOpen}
          onClick={() => setChatOpen((open) => !open)}
        >
          {chatOpen ? "Hide chat" : "Chat"}
        </button>
      </header>
      {error && detail && (
        <div className="alert alert-error rd-inline-error" role="alert">
          {error}
        </div>
      )}
      <div className="rd-main">
        <div className="rd-book-area" ref={bookRef}>
          {detail ? (
            <Flipbook
              pages={pages}
              count={count}
              cursor={cursor}
              spread={spread}
              onGo={goTo}
              onStale={() => {
                if (session) void load(session);
              }}
            />
          ) : (
            <Loading label="Opening the episode…" />
          )}
        </div>
        {session && chatOpen && (
          <ChatPanel
            key={session.session_id}
            sessionId={session.session_id}
            furthest={Math.max(furthest, cursor)}
            spread={spread && left !== cursor}
            pendingAsk={pendingAsk}
            onAsked={() => setPendingAsk(null)}
            onJump={jump}
            onNewChat={newChat}
            onClose={() => setChatOpen(false)}
          />
        )}
      </div>
      {worldOpen && session && (
        <WorldOverlay
          sessionId={session.session_id}
          cursor={cursor}
          spread={spread && left !== cursor}
          onClose={() => setWorldOpen(false)}
          onAsk={(text) => {
            setWorldOpen(false);
            setChatOpen(true);
            setPendingAsk({ mode: "wiki", text });
          }}
        />
      )}
    </div>
  );
}
