/**
 * The book in paged mode: one page in portrait, a two-page spread when there is room. Pages turn with the edge
 * thirds of the page (tap or click), a horizontal swipe, the arrow buttons (wide screens), arrow keys, Page
 * Up/Down and Home/End; the middle third shows or hides the controls. Pinch, double-tap and Ctrl+wheel zoom, and a
 * zoomed or fit-width page is dragged (or wheeled) around. Here the pages just behind the reader and the next one
 * whose link is known are preloaded, which makes re-reading and every turn inside what was read instant; the page
 * past the furthest one is preloaded by the Reader from its next-turn link (`GET /api/sessions/{id}/ahead`).
 */

import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { leftPage } from "./position";
import { preload } from "./reader/preload";
import type { Fit } from "./reader/prefs";
import { DOUBLE_TAP_SCALE, usePanZoom } from "./reader/usePanZoom";
import type { PageView } from "./types";

interface Props {
  pages: Map<number, PageView>;
  count: number;
  cursor: number;
  spread: boolean;
  fit: Fit;
  onGo: (page: number) => void;
  /** An image link failed (expired after a long stay, or the server was away): fetch fresh ones. */
  onStale: () => void;
  /** The middle of the page was tapped: show or hide the controls. */
  onToggleControls: () => void;
  /** Tells the controls whether the page is zoomed, and gives them the zoom to drive. */
  onZoomChange?: (zoomed: boolean, zoomTo: (scale: number) => void) => void;
}

const PRELOAD_BEHIND = 3;
const RETRY_MS = 3000;
const CONTROLS_DELAY_MS = 260;

export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

export function PageImage({
  page,
  number,
  onStale,
}: {
  page: PageView | undefined;
  number: number;
  onStale: () => void;
}) {
  const [failures, setFailures] = useState(0);
  const [failed, setFailed] = useState(false);
  const url = page?.image_url ?? null;
  useEffect(() => {
    setFailed(false);
    setFailures(0);
  }, [url]);
  // A failed image is tried again a little later (the server may have been away), not left as a placeholder.
  useEffect(() => {
    if (!failed) return;
    const timer = window.setTimeout(() => setFailed(false), RETRY_MS * Math.min(failures, 4));
    return () => window.clearTimeout(timer);
  }, [failed, failures]);
  if (!url || failed) {
    return (
      <div className="rd-page rd-page-waiting" role="img" aria-label={`Page ${number} is loading`}>
        <span className="spinner" aria-hidden="true" />
        <span>{failed ? `Page ${number} could not be loaded. Trying again…` : `Page ${number}`}</span>
      </div>
    );
  }
  const { width, height } = page?.image_metadata ?? {};
  return (
    <img
      className="rd-page"
      src={url}
      alt={`Page ${number}`}
      data-page={number}
      width={width}
      height={height}
      style={width && height ? { aspectRatio: `${width} / ${height}` } : undefined}
      draggable={false}
      onError={() => {
        setFailed(true);
        setFailures((n) => n + 1);
        onStale();
      }}
    />
  );
}

export function Flipbook({ pages, count, cursor, spread, fit, onGo, onStale, onToggleControls, onZoomChange }: Props) {
  const left = leftPage(cursor, spread);
  const shown = spread && left !== cursor ? [left, cursor] : [cursor];
  const step = spread ? 2 : 1;
  const previous = useRef(cursor);
  const direction = cursor >= previous.current ? "forward" : "back";
  const viewportRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  const controlsTimer = useRef<number | undefined>(undefined);

  useEffect(() => {
    previous.current = cursor;
  }, [cursor]);

  const { view, zoomTo, handlers } = usePanZoom(viewportRef, contentRef, `${shown.join("-")}:${fit}`, {
    onTap: (fraction) => {
      window.clearTimeout(controlsTimer.current);
      if (view.scale <= 1.01 && fraction < 1 / 3) {
        onGo(left - step);
        return true;
      }
      if (view.scale <= 1.01 && fraction > 2 / 3) {
        onGo(cursor + 1);
        return true;
      }
      // Wait a moment: a second tap makes this a double tap (zoom), not a request for the controls.
      controlsTimer.current = window.setTimeout(onToggleControls, CONTROLS_DELAY_MS);
      return false;
    },
    onDoubleTap: () => window.clearTimeout(controlsTimer.current),
    onSwipe: (direction) => onGo(direction < 0 ? cursor + 1 : left - step),
  });
  useEffect(() => () => window.clearTimeout(controlsTimer.current), []);

  const zoomed = view.scale > 1.01;
  useEffect(() => {
    onZoomChange?.(zoomed, zoomTo);
  }, [zoomed, zoomTo, onZoomChange]);

  // The key handler reads the position from a ref updated before paint: a second key pressed right after a turn
  // is painted (before React re-runs effects on a busy machine) must turn from the new page, not the old one.
  const position = useRef({ cursor, left, count, step });
  useLayoutEffect(() => {
    position.current = { cursor, left, count, step };
  }, [cursor, left, count, step]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "+" || event.key === "=") return zoomTo(zoomed ? 1 : DOUBLE_TAP_SCALE);
      if (event.key === "-" || event.key === "0") return zoomTo(1);
      const { cursor, left, count, step } = position.current;
      const moves: Record<string, number> = {
        ArrowRight: cursor + 1,
        PageDown: cursor + 1,
        ArrowLeft: left - step,
        PageUp: left - step,
        Home: 1,
        End: count,
      };
      const target = moves[event.key];
      if (target === undefined) return;
      event.preventDefault();
      onGo(target);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onGo, zoomTo, zoomed]);

  // Behind the reader: the pages just read, for turning back. Ahead: the next page whenever the server has sent
  // its link (re-reading, or a spread's partner), so the turn to it paints at once.
  useEffect(() => {
    const wanted = [cursor + 1, cursor + 2].slice(0, step);
    for (let n = Math.max(1, left - PRELOAD_BEHIND); n < left; n += 1) wanted.push(n);
    for (const n of wanted) {
      const url = pages.get(n)?.image_url;
      if (url) void preload(url);
    }
  }, [pages, left, cursor, step]);

  return (
    <section className={`rd-book rd-fit-${fit}`} aria-label="Comic pages" aria-roledescription="flipbook">
      <button
        type="button"
        className="rd-turn rd-turn-prev"
        onClick={() => onGo(left - step)}
        disabled={left <= 1}
        aria-label="Previous page"
      >
        ‹
      </button>
      <div
        ref={viewportRef}
        className={`rd-viewport ${zoomed ? "rd-zoomed" : ""}`}
        data-testid="page-viewport"
        data-scale={view.scale.toFixed(2)}
        {...handlers}
      >
        <div
          ref={contentRef}
          className="rd-pan"
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
        >
          <div key={shown.join("-")} className={`rd-leaf rd-turn-${direction} ${shown.length > 1 ? "rd-leaf-two" : ""}`}>
            {shown.map((n) => (
              <PageImage key={n} number={n} page={pages.get(n)} onStale={onStale} />
            ))}
          </div>
        </div>
      </div>
      <button
        type="button"
        className="rd-turn rd-turn-next"
        onClick={() => onGo(cursor + 1)}
        disabled={cursor >= count}
        aria-label="Next page"
      >
        ›
      </button>
      <div className="rd-progress" aria-hidden="true">
        <div className="rd-progress-fill" style={{ width: `${count ? (100 * cursor) / count : 0}%` }} />
      </div>
    </section>
  );
}
