/**
 * The book: one page in portrait, a two-page spread when there is room. Arrow keys, Page Up/Down, Home/End and
 * horizontal swipes turn pages. Images exist only for pages the reader has reached (the server sends no link
 * for later ones), so the next page's image is requested the moment the page turns, while the turn animates;
 * the pages already reached just behind the reader are preloaded so turning back is instant.
 */

import { useEffect, useRef, useState, type PointerEvent } from "react";
import { leftPage } from "./position";
import type { PageView } from "./types";

interface Props {
  pages: Map<number, PageView>;
  count: number;
  cursor: number;
  spread: boolean;
  onGo: (page: number) => void;
  /** An image link expired (the reader stayed a long time): fetch fresh ones. */
  onStale: () => void;
}

const SWIPE_PX = 48;
const PRELOAD_BEHIND = 3;

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

function PageImage({ page, number, onStale }: { page: PageView | undefined; number: number; onStale: () => void }) {
  const [failed, setFailed] = useState(false);
  const url = page?.image_url ?? null;
  useEffect(() => setFailed(false), [url]);
  if (!url || failed) {
    return (
      <div className="rd-page rd-page-waiting" role="img" aria-label={`Page ${number} is loading`}>
        <span className="spinner" aria-hidden="true" />
        <span>Page {number}</span>
      </div>
    );
  }
  return (
    <img
      className="rd-page"
      src={url}
      alt={`Page ${number}`}
      data-page={number}
      draggable={false}
      onError={() => {
        setFailed(true);
        onStale();
      }}
    />
  );
}

export function Flipbook({ pages, count, cursor, spread, onGo, onStale }: Props) {
  const left = leftPage(cursor, spread);
  const shown = spread && left !== cursor ? [left, cursor] : [cursor];
  const previous = useRef(cursor);
  const direction = cursor >= previous.current ? "forward" : "back";
  const start = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => {
    previous.current = cursor;
  }, [cursor]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
      const step = spread ? 2 : 1;
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
  }, [cursor, left, count, spread, onGo]);

  useEffect(() => {
    for (let n = Math.max(1, left - PRELOAD_BEHIND); n < left; n += 1) {
      const url = pages.get(n)?.image_url;
      if (url) new Image().src = url;
    }
  }, [pages, left]);

  const onPointerDown = (event: PointerEvent) => {
    start.current = { x: event.clientX, y: event.clientY };
  };
  const onPointerUp = (event: PointerEvent) => {
    const origin = start.current;
    start.current = null;
    if (!origin) return;
    const dx = event.clientX - origin.x;
    const dy = event.clientY - origin.y;
    if (Math.abs(dx) < SWIPE_PX || Math.abs(dx) < Math.abs(dy) * 1.5) return;
    onGo(dx < 0 ? cursor + 1 : left - (spread ? 2 : 1));
  };

  return (
    <section className="rd-book" aria-label="Comic pages" aria-roledescription="flipbook">
      <button
        type="button"
        className="rd-turn rd-turn-prev"
        onClick={() => onGo(left - (spread ? 2 : 1))}
        disabled={left <= 1}
        aria-label="Previous page"
      >
        ‹
      </button>
      <div
        className={`rd-spread ${shown.length > 1 ? "rd-spread-two" : ""}`}
        onPointerDown={onPointerDown}
        onPointerUp={onPointerUp}
        onPointerCancel={() => (start.current = null)}
      >
        <div key={shown.join("-")} className={`rd-leaf rd-turn-${direction}`}>
          {shown.map((n) => (
            <PageImage key={n} number={n} page={pages.get(n)} onStale={onStale} />
          ))}
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
