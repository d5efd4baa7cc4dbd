/**
 * One episode: the flipbook, the chat beside it and the world overlay. Every move is sent to the server, which
 * keeps the page on screen (`current_page`, the left page of a spread, sent with `spread`) apart from the furthest
 * page reached (`furthest_page`, the spoiler cursor). Going back never lowers the furthest page: the companion keeps
 * what it knows and the conversation, and the bar offers the way back to where the reader had got to. Here
 * `cursor` is the rightmost page on screen.
 */

import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError, isAbortError } from "../api/client";
import { Loading } from "../components/Loading";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { continueSession, getAhead, getEpisode, movePage, openSession, type AheadPage } from "./api";
import { ChatPanel } from "./ChatPanel";
import { Flipbook } from "./Flipbook";
import type { SessionSummary } from "./chat/earlier";
import type { Citation, EpisodeDetail, PageView, SessionCreated, Suggestion } from "./types";
import { clamp, cursorFor, leftPage } from "./position";
import { FirstRunHint } from "./reader/FirstRunHint";
import { keepLinks } from "./reader/links";
import { isDecoded, preload, preloadWithin } from "./reader/preload";
import { hintSeen, isPhone, markHintSeen, savedFit, savedLayout, saveFit, saveLayout, type Fit, type Layout } from "./reader/prefs";
import { isUnreachable, retryDelay } from "./reader/reachable";
import { ReaderControls } from "./reader/ReaderControls";
import { VerticalStrip } from "./reader/VerticalStrip";
import "./reader/book.css";
import { useSpread } from "./useSpread";
import { WorldOverlay } from "./WorldOverlay";

const DEFAULT_ASPECT = 600 / 847;
/** How long a turn to a page not yet loaded waits for its image before showing it as it arrives. */
const PAINT_WAIT_MS = 1500;
/** How long a question waits for the move to the page on screen to reach the server (then it goes anyway). */
const MOVE_WAIT_MS = 5000;
/** On a phone the controls show this long when an episode opens, then get out of the way. */
const CONTROLS_SHOWN_MS = 4000;

/** A page the reader has not reached, shown from its preloaded next-turn link until the server sends its view. */
function aheadView(base: PageView | undefined, ahead: AheadPage): PageView {
  return {
    id: base?.id ?? `ahead-${ahead.page_number}`,
    page_number: ahead.page_number,
    global_index: base?.global_index ?? 0,
    characters: base?.characters ?? [],
    visible: true,
    image_url: ahead.image_url,
    thumbnail_url: null,
    image_metadata: { width: ahead.width, height: ahead.height },
  };
}

/** A turn waiting on the server: the page asked for, and whether the server could not be reached. */
interface Held {
  target: number;
  offline: boolean;
  /** The page is already on screen (its image was known); only saving the place waits. */
  shown: boolean;
}

export function Reader() {
  const { episode: slug = "", page: pageParam } = useParams();
  const navigate = useNavigate();
  const [session, setSession] = useState<SessionCreated | null>(null);
  const [detail, setDetail] = useState<EpisodeDetail | null>(null);
  const [pages, setPages] = useState<Map<number, PageView>>(new Map());
  const [cursor, setCursor] = useState(1);
  const [furthest, setFurthest] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [held, setHeld] = useState<Held | null>(null);
  const [worldOpen, setWorldOpen] = useState(false);
  // On a phone the chat is a sheet over the book: start with the book.
  const [chatOpen, setChatOpen] = useState(() => !window.matchMedia?.("(max-width: 900px)").matches);
  const [pendingAsk, setPendingAsk] = useState<Suggestion | null>(null);
  const [fit, setFit] = useState<Fit>(savedFit);
  const [layoutChoice, setLayoutChoice] = useState<Layout | null>(null);
  const [controls, setControls] = useState(true);
  const [hint, setHint] = useState(() => !hintSeen());
  const [zoom, setZoom] = useState<{ zoomed: boolean; zoomTo: (scale: number) => void } | null>(null);
  const bookRef = useRef<HTMLDivElement>(null);
  const moving = useRef<AbortController | null>(null);
  const retryTimer = useRef<number | undefined>(undefined);
  const retryNow = useRef<(() => void) | null>(null);
  const cursorRef = useRef(cursor);
  const pagesRef = useRef(pages);
  // The next turn's page(s) past the furthest reached, by page number: links to preload, not pages read.
  const aheadRef = useRef<Map<number, AheadPage>>(new Map());
  // What the server was last told is on screen ("left:spread"): a spread changing under the same cursor must be
  // sent too, or the server would take the next page for the one beside the cursor.
  const sentRef = useRef("");
  // The page a turn still waiting on the server (or on its image) is headed for; null when none is. A change of
  // spread re-sends the position, and must re-send this one: re-sending the cursor would cancel the turn.
  const pendingRef = useRef<number | null>(null);
  // The latest move sent to the server. A page the reader has read before shows at once and the server hears of
  // it in the background; a question asked meanwhile waits for it, or it would be answered at the page before.
  const lastMove = useRef<Promise<unknown>>(Promise.resolve());
  const moveSettled = useCallback(
    () =>
      Promise.race([lastMove.current, new Promise((done) => window.setTimeout(done, MOVE_WAIT_MS))]).then(
        () => undefined,
      ),
    [],
  );
  cursorRef.current = cursor;
  pagesRef.current = pages;

  const aspect = useMemo(() => {
    const first = detail?.pages.find((p) => p.image_metadata.width && p.image_metadata.height);
    return first ? (first.image_metadata.width ?? 600) / (first.image_metadata.height ?? 847) : DEFAULT_ASPECT;
  }, [detail]);
  const layout = layoutChoice ?? savedLayout(aspect);
  const wideEnough = useSpread(bookRef, aspect);
  // Spreads are for fit-page reading only: fit-width and vertical reading show one page across the screen.
  const spread = wideEnough && layout === "paged" && fit === "page";
  useDocumentTitle(detail ? `Episode ${detail.episode_number}: ${detail.title}` : "Companion");

  /** Merge pages from the server, keeping a page's link while it is good so the browser cache keeps working. */
  // A reply that changes nothing shown (a turn inside what was read) leaves the map as it is: no render.
  const merge = useCallback((updates: PageView[], commit = true): Map<number, PageView> => {
    const now = Date.now() / 1000;
    const held = pagesRef.current;
    const changed = updates.filter((page) => {
      const before = held.get(page.page_number);
      const kept = keepLinks(before, page, now);
      return (
        !before ||
        before.visible !== kept.visible ||
        before.image_url !== kept.image_url ||
        before.thumbnail_url !== kept.thumbnail_url ||
        JSON.stringify(before.characters) !== JSON.stringify(kept.characters)
      );
    });
    if (!changed.length) return held;
    const next = new Map(held);
    for (const page of changed) next.set(page.page_number, keepLinks(next.get(page.page_number), page, now));
    pagesRef.current = next;
    if (commit) setPages(next);
    return next;
  }, []);

  const load = useCallback(
    async (created: SessionCreated, signal?: AbortSignal) => {
      const episode = await getEpisode(created.episode_slug, created.session_id, signal);
      setDetail(episode);
      merge(episode.pages);
    },
    [merge],
  );

  // Open (or resume) the session whenever the episode changes; a deep link's page wins over the saved one.
  useEffect(() => {
    const controller = new AbortController();
    setSession(null);
    setDetail(null);
    setError(null);
    setHeld(null);
    pagesRef.current = new Map();
    aheadRef.current = new Map();
    setPages(pagesRef.current);
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

  // On a phone the controls cover the foot of the page: show them for a moment, then let the page have it.
  useEffect(() => {
    if (!detail || !isPhone()) return;
    const timer = window.setTimeout(() => setControls(false), CONTROLS_SHOWN_MS);
    return () => window.clearTimeout(timer);
  }, [detail]);

  // As soon as the reader reaches a page, fetch and decode the next turn's image: the turn then paints at once and
  // the server is told in the background, instead of the turn waiting for the move and then the download.
  const sessionId = session?.session_id;
  const pageCount = detail?.page_count ?? 0;
  useEffect(() => {
    aheadRef.current = new Map();
    if (!sessionId || furthest >= pageCount) return;
    const controller = new AbortController();
    getAhead(sessionId, spread ? 2 : 1, controller.signal)
      .then((ahead) => {
        if (controller.signal.aborted) return;
        aheadRef.current = new Map(ahead.map((page) => [page.page_number, page]));
        for (const page of ahead) void preload(page.image_url);
      })
      .catch(() => undefined); // best effort: without it the turn waits for the server as before
    return () => controller.abort();
  }, [sessionId, furthest, pageCount, spread]);

  const show = useCallback(
    (target: number, key: string) => {
      sentRef.current = key;
      pendingRef.current = null;
      setCursor(target);
      navigate(`/read/${slug}/${target}`, { replace: true });
    },
    [navigate, slug],
  );

  /**
   * Turn to page `n`. A page whose image link is known (read before) shows at once and the server is told in the
   * background. A page not reached yet has no image until the server has moved the reader there, so the turn is
   * held: the page and the address stay until the server answers and the new image is decoded, then the turn
   * completes in one step. If the server cannot be reached the turn stays held, says so, and is retried until it
   * goes through; it never advances into a page that cannot be shown.
   */
  const goTo = useCallback(
    (n: number) => {
      if (!session || !detail) return;
      const target = cursorFor(n, detail.page_count, spread);
      // The server is told the left page and whether the next one is on screen too (the original's spread).
      const shownLeft = leftPage(target, spread);
      const withSpread = shownLeft !== target;
      const key = `${shownLeft}:${withSpread}`;
      pendingRef.current = null;
      if (target === cursorRef.current && key === sentRef.current) {
        moving.current?.abort();
        window.clearTimeout(retryTimer.current);
        setHeld(null);
        return;
      }
      // Turning a page is the lesson the hint teaches: it need not come back.
      setHint(false);
      markHintSeen();
      moving.current?.abort();
      window.clearTimeout(retryTimer.current);
      const controller = new AbortController();
      moving.current = controller;
      const onScreen = withSpread ? [shownLeft, target] : [target];
      const known = onScreen.every((p) => !!pagesRef.current.get(p)?.image_url);
      // Pages not reached but preloaded from their next-turn link: shown without waiting for the server.
      const ahead = onScreen.filter((p) => !pagesRef.current.get(p)?.image_url).map((p) => aheadRef.current.get(p));
      const preloaded = !known && ahead.every((page): page is AheadPage => page !== undefined);
      if (!known) pendingRef.current = target;
      if (known) {
        show(target, key);
        setHeld(null);
      } else if (preloaded) {
        const views = ahead.map((page) => aheadView(pagesRef.current.get(page.page_number), page));
        const now = merge(views, false);
        const urls = ahead.map((page) => page.image_url);
        const commit = () => {
          if (controller.signal.aborted) return;
          setPages(now);
          show(target, key);
          setHeld(null);
        };
        if (urls.every(isDecoded)) {
          commit();
        } else {
          // Turned before the preload finished: keep this page until the next one is decoded, as a held turn.
          setHeld({ target, offline: false, shown: false });
          void Promise.all(urls.map((url) => preloadWithin(url, PAINT_WAIT_MS))).then(commit);
        }
      } else {
        setHeld({ target, offline: false, shown: false });
      }
      const attempt = (tries: number) => {
        retryNow.current = null;
        const request = movePage(session.session_id, shownLeft, withSpread, controller.signal);
        lastMove.current = request.catch(() => undefined);
        request
          .then(async (moved) => {
            const now = merge(moved.pages, false);
            if (known || preloaded) {
              // The page is on screen (or about to be): record the move at low priority, so this render never
              // stands between the key press and the paint.
              startTransition(() => {
                setPages(pagesRef.current);
                setFurthest(moved.furthest_page);
                if (known || cursorRef.current === target) setHeld(null);
              });
              return;
            }
            // For a held turn the new links, the furthest page and the turn are committed together after the
            // image is decoded: one render on the way to the paint instead of two.
            const urls = onScreen.map((p) => now.get(p)?.image_url).filter((url): url is string => !!url);
            await Promise.all(urls.map((url) => preloadWithin(url, PAINT_WAIT_MS)));
            if (controller.signal.aborted) return;
            setPages(now);
            show(target, key);
            setFurthest(moved.furthest_page);
            setHeld(null);
          })
          .catch((reason: unknown) => {
            if (isAbortError(reason) || controller.signal.aborted) return;
            if (isUnreachable(reason)) {
              setHeld({ target, offline: true, shown: known || preloaded });
              const again = () => {
                window.clearTimeout(retryTimer.current);
                if (!controller.signal.aborted) attempt(tries + 1);
              };
              retryNow.current = again;
              retryTimer.current = window.setTimeout(again, retryDelay(tries));
              return;
            }
            pendingRef.current = null;
            setHeld(null);
            setError(reason instanceof ApiError ? reason.message : "Could not turn the page.");
          });
      };
      attempt(0);
    },
    [session, detail, spread, merge, show],
  );

  // Back online: a held turn goes through now rather than at its next retry.
  useEffect(() => {
    const onOnline = () => retryNow.current?.();
    window.addEventListener("online", onOnline);
    return () => {
      window.removeEventListener("online", onOnline);
      window.clearTimeout(retryTimer.current);
    };
  }, []);

  // Entering or leaving spread mode keeps the cursor on the right-hand page of what is shown. Only a change of
  // spread does this: re-running on every new `goTo` would cancel a turn that is waiting on the server. A turn
  // asked for just before the spread changed (a tap right after hiding the chat) is re-sent for the new layout.
  const spreadSent = useRef(false);
  useEffect(() => {
    if (detail && spread !== spreadSent.current) {
      spreadSent.current = spread;
      goTo(pendingRef.current ?? cursorRef.current);
    }
  }, [spread, detail, goTo]);

  // A link to another page of this episode (a citation, the address bar) moves the reader there.
  useEffect(() => {
    const wanted = Number(pageParam);
    if (session && Number.isInteger(wanted) && wanted !== cursorRef.current) goTo(wanted);
  }, [pageParam, session, goTo]);

  const onStale = useCallback(() => {
    if (session) load(session).catch(() => undefined); // the image retries on its own; a new link helps if expired
  }, [session, load]);

  const chooseFit = useCallback((value: Fit) => {
    setFit(value);
    saveFit(value);
  }, []);
  const chooseLayout = useCallback((value: Layout) => {
    setLayoutChoice(value);
    saveLayout(value);
  }, []);
  const onZoomChange = useCallback((zoomed: boolean, zoomTo: (scale: number) => void) => {
    setZoom({ zoomed, zoomTo });
  }, []);
  const dismissHint = useCallback(() => {
    setHint(false);
    markHintSeen();
  }, []);
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

  // An earlier chat continued: it becomes the session (at this place; the server takes it from the current one) and
  // the question that continued it is asked there once its panel opens.
  const continueChat = useCallback(
    async (summary: SessionSummary, question: Suggestion) => {
      if (!session) return;
      const created = await continueSession(summary.session_id, session.session_id);
      setSession({ ...created });
      setFurthest(created.furthest_page);
      setPendingAsk(question);
    },
    [session],
  );

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
        <div className={`rd-book-area rd-layout-${layout}`} ref={bookRef}>
          {detail && layout === "paged" && (
            <Flipbook
              pages={pages}
              count={count}
              cursor={cursor}
              spread={spread}
              fit={fit}
              onGo={goTo}
              onStale={onStale}
              onToggleControls={() => setControls((shown) => !shown)}
              onZoomChange={onZoomChange}
            />
          )}
          {detail && layout === "vertical" && (
            <VerticalStrip
              pages={pages}
              count={count}
              cursor={cursor}
              holding={held && !held.shown ? held.target : null}
              onGo={goTo}
              onStale={onStale}
              onToggleControls={() => setControls((shown) => !shown)}
            />
          )}
          {!detail && <Loading label="Opening the episode…" />}
          {detail && held && (held.offline || !held.shown) && (
            <div
              className={`rd-held ${held.offline ? "rd-held-offline" : ""}`}
              role="status"
              data-testid="turn-held"
            >
              {held.offline ? (
                <>
                  <span>
                    {held.shown
                      ? `Can't reach the server: page ${held.target} will be saved as your place when it is back.`
                      : `Can't reach the server. Page ${held.target} will open when it is back.`}
                  </span>
                  <button type="button" className="btn btn-sm" onClick={() => retryNow.current?.()}>
                    Try now
                  </button>
                </>
              ) : (
                <span className="rd-held-turning">Opening page {held.target}…</span>
              )}
            </div>
          )}
          {detail && hint && <FirstRunHint onDismiss={dismissHint} />}
          {detail && (
            <ReaderControls
              visible={controls}
              cursor={cursor}
              count={count}
              canBack={left > 1}
              canForward={cursor < count}
              onBack={() => goTo(left - (spread ? 2 : 1))}
              onForward={() => goTo(cursor + 1)}
              fit={fit}
              onFit={chooseFit}
              layout={layout}
              onLayout={chooseLayout}
              zoomed={!!zoom?.zoomed}
              onZoom={layout === "paged" && zoom ? () => zoom.zoomTo(zoom.zoomed ? 1 : 2.5) : null}
            />
          )}
        </div>
        {session && chatOpen && (
          <ChatPanel
            key={session.session_id}
            sessionId={session.session_id}
            furthest={Math.max(furthest, cursor)}
            spread={spread && left !== cursor}
            pendingAsk={pendingAsk}
            beforeAsk={moveSettled}
            onAsked={() => setPendingAsk(null)}
            onJump={jump}
            onNewChat={newChat}
            onContinue={continueChat}
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
