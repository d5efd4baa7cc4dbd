/**
 * Vertical (webtoon) reading: the pages reached so far, one under the other at the width of the screen, read by
 * scrolling. The page filling the middle of the screen is the page the reader is on. Scrolling to the end of the
 * last page reached asks for the next one, exactly as a turn would (the server must reach it before its image
 * exists), so nothing past the furthest page is ever shown or fetched.
 */

import { useEffect, useLayoutEffect, useRef } from "react";
import { PageImage } from "../Flipbook";
import type { PageView } from "../types";

interface Props {
  pages: Map<number, PageView>;
  count: number;
  cursor: number;
  /** A turn to this page is waiting on the server. */
  holding: number | null;
  onGo: (page: number) => void;
  onStale: () => void;
  onToggleControls: () => void;
}

export function VerticalStrip({ pages, count, cursor, holding, onGo, onStale, onToggleControls }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLButtonElement>(null);
  const seenByScroll = useRef(cursor);
  // While the next page is being fetched, scrolling does not move the reader: that would cancel the fetch.
  const holdingRef = useRef(holding);
  holdingRef.current = holding;
  let last = 0;
  for (let n = 1; n <= count && pages.get(n)?.image_url; n += 1) last = n;
  const shown = Array.from({ length: Math.max(last, Math.min(cursor, count)) }, (_, i) => i + 1);

  // Opening the strip starts at the reader's page, before the page watcher below could take page 1 for it.
  useLayoutEffect(() => {
    scroller.current?.querySelector(`[data-strip="${seenByScroll.current}"]`)?.scrollIntoView({ block: "start" });
  }, []);

  // The page crossing the middle of the screen is the page being read.
  useEffect(() => {
    const root = scroller.current;
    if (!root || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting || holdingRef.current !== null) continue;
          const n = Number((entry.target as HTMLElement).dataset.strip);
          if (n && n !== seenByScroll.current) {
            seenByScroll.current = n;
            onGo(n);
          }
        }
      },
      { root, rootMargin: "-50% 0px -50% 0px" },
    );
    root.querySelectorAll("[data-strip]").forEach((element) => observer.observe(element));
    return () => observer.disconnect();
  }, [shown.length, onGo]);

  // Reaching the end of what was read asks for the next page.
  useEffect(() => {
    const root = scroller.current;
    const target = sentinel.current;
    if (!root || !target || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        // The new page appears below where the reader already is: the move must not scroll to it, and the page
        // watcher must not take the page above for a move back while it loads (marked here, before any render).
        seenByScroll.current = last + 1;
        holdingRef.current = last + 1;
        onGo(last + 1);
      },
      // Only once the end is on screen: the next page is reached when the reader gets there, not before.
      { root },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [last, onGo]);

  // A move that did not come from scrolling (a citation, the address bar, Back) scrolls to its page.
  useEffect(() => {
    if (cursor === seenByScroll.current) return;
    seenByScroll.current = cursor;
    scroller.current?.querySelector(`[data-strip="${cursor}"]`)?.scrollIntoView({ block: "start" });
  }, [cursor]);

  return (
    <section className="rd-strip" ref={scroller} aria-label="Comic pages, one under the other" tabIndex={0}>
      <div
        className="rd-strip-pages"
        onClick={(event) => {
          if ((event.target as HTMLElement).closest("button")) return;
          onToggleControls();
        }}
      >
        {shown.map((n) => (
          <div key={n} data-strip={n} className="rd-strip-page">
            <PageImage number={n} page={pages.get(n)} onStale={onStale} />
          </div>
        ))}
      </div>
      {last < count && (
        <button
          ref={sentinel}
          type="button"
          className="btn rd-strip-next"
          onClick={() => {
            seenByScroll.current = last + 1;
            onGo(last + 1);
          }}
        >
          {holding === last + 1 ? `Opening page ${last + 1}…` : `Continue to page ${last + 1}`}
        </button>
      )}
      {last >= count && count > 0 && <p className="rd-strip-end">End of the episode.</p>}
    </section>
  );
}
