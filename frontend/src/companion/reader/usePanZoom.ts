/**
 * Touch and mouse on the page: pinch and double-tap zoom, dragging a zoomed or taller-than-the-screen page, and
 * telling taps and swipes apart for turning pages. The page is moved with a CSS transform rather than native
 * scrolling, because the browser's own pinch would zoom the whole app (bar, chat) and its scrolling would swallow
 * the swipe that turns the page. All gestures come through pointer events, so a mouse, a pen and fingers behave
 * the same.
 */

import { useCallback, useEffect, useRef, useState, type PointerEvent, type RefObject, type WheelEvent } from "react";

export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Gestures {
  /** A short touch or click that did not move: `fraction` is where across the page area it landed (0 to 1).
   * Returns true when the tap turned the page, so a quick second tap is another turn, not a double tap. */
  onTap: (fraction: number) => boolean;
  onDoubleTap?: (fraction: number) => void;
  /** A horizontal fling while the page does not overflow sideways: -1 is toward the next page. */
  onSwipe: (direction: -1 | 1) => void;
}

export const MAX_SCALE = 4;
export const DOUBLE_TAP_SCALE = 2.5;
const TAP_SLOP_PX = 10;
const TAP_MS = 350;
const DOUBLE_TAP_MS = 300;
const SWIPE_PX = 48;

interface Point {
  x: number;
  y: number;
}

interface Gesture {
  start: Point;
  startView: View;
  startedAt: number;
  pinch: { distance: number; mid: Point; view: View } | null;
  pinched: boolean;
  moved: boolean;
}

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
const middle = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });

/** Keep the content covering the viewport where it is larger, centred where it is smaller. */
export function clampView(view: View, viewport: DOMRect | { width: number; height: number }, content: Point): View {
  const fit = (offset: number, inner: number, outer: number) =>
    inner <= outer ? (outer - inner) / 2 : Math.min(0, Math.max(outer - inner, offset));
  return {
    scale: view.scale,
    x: fit(view.x, content.x * view.scale, viewport.width),
    y: fit(view.y, content.y * view.scale, viewport.height),
  };
}

/** Zoom to `scale` keeping the content point under `at` (viewport coordinates) where it is. */
export function zoomAbout(view: View, scale: number, at: Point): View {
  const ratio = scale / view.scale;
  return { scale, x: at.x - (at.x - view.x) * ratio, y: at.y - (at.y - view.y) * ratio };
}

export function usePanZoom(
  viewportRef: RefObject<HTMLElement | null>,
  contentRef: RefObject<HTMLElement | null>,
  resetKey: string,
  gestures: Gestures,
) {
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const viewRef = useRef(view);
  viewRef.current = view;
  const pointers = useRef(new Map<number, Point>());
  const gesture = useRef<Gesture | null>(null);
  const lastTap = useRef<{ at: number; point: Point } | null>(null);
  const handlers = useRef(gestures);
  handlers.current = gestures;

  const measure = useCallback(() => {
    const viewport = viewportRef.current?.getBoundingClientRect();
    const content = contentRef.current;
    if (!viewport || !content) return null;
    return { viewport, content: { x: content.offsetWidth, y: content.offsetHeight } };
  }, [viewportRef, contentRef]);

  const apply = useCallback(
    (next: View) => {
      const sizes = measure();
      const clamped = sizes ? clampView(next, sizes.viewport, sizes.content) : next;
      viewRef.current = clamped;
      setView(clamped);
    },
    [measure],
  );

  // A new page (or a new fit, or a resized window) starts unzoomed at its top.
  useEffect(() => {
    apply({ scale: 1, x: 0, y: 0 });
    const viewport = viewportRef.current;
    const content = contentRef.current;
    if (!viewport || !content || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => apply(viewRef.current));
    observer.observe(viewport);
    observer.observe(content);
    return () => observer.disconnect();
  }, [resetKey, apply, viewportRef, contentRef]);

  // React listens to wheel events passively, so it cannot stop Ctrl + wheel from zooming the whole browser tab
  // (or a wheel from scrolling the app behind the page): a native, non-passive listener does that.
  useEffect(() => {
    const viewport = viewportRef.current;
    if (!viewport) return;
    const stop = (event: globalThis.WheelEvent) => event.preventDefault();
    viewport.addEventListener("wheel", stop, { passive: false });
    return () => viewport.removeEventListener("wheel", stop);
  }, [viewportRef]);

  const local = (event: { clientX: number; clientY: number }): Point => {
    const box = viewportRef.current?.getBoundingClientRect();
    return { x: event.clientX - (box?.left ?? 0), y: event.clientY - (box?.top ?? 0) };
  };

  const zoomTo = useCallback(
    (scale: number, at?: Point) => {
      const sizes = measure();
      const point = at ?? (sizes ? { x: sizes.viewport.width / 2, y: sizes.viewport.height / 2 } : { x: 0, y: 0 });
      apply(zoomAbout(viewRef.current, Math.min(MAX_SCALE, Math.max(1, scale)), point));
    },
    [apply, measure],
  );

  const onPointerDown = (event: PointerEvent<HTMLElement>) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    const point = local(event);
    pointers.current.set(event.pointerId, point);
    const points = [...pointers.current.values()];
    if (points.length === 1) {
      gesture.current = {
        start: point,
        startView: viewRef.current,
        startedAt: performance.now(),
        pinch: null,
        pinched: false,
        moved: false,
      };
    } else if (points.length === 2 && gesture.current && points[0] && points[1]) {
      gesture.current.pinch = {
        distance: Math.max(1, distance(points[0], points[1])),
        mid: middle(points[0], points[1]),
        view: viewRef.current,
      };
      gesture.current.pinched = true;
    }
  };

  const onPointerMove = (event: PointerEvent<HTMLElement>) => {
    if (!pointers.current.has(event.pointerId) || !gesture.current) return;
    const point = local(event);
    pointers.current.set(event.pointerId, point);
    const current = gesture.current;
    const points = [...pointers.current.values()];
    if (current.pinch && points.length >= 2 && points[0] && points[1]) {
      const mid = middle(points[0], points[1]);
      const scale = Math.min(MAX_SCALE, Math.max(1, (current.pinch.view.scale * distance(points[0], points[1])) / current.pinch.distance));
      const zoomed = zoomAbout(current.pinch.view, scale, current.pinch.mid);
      apply({ scale, x: zoomed.x + mid.x - current.pinch.mid.x, y: zoomed.y + mid.y - current.pinch.mid.y });
      return;
    }
    if (distance(point, current.start) > TAP_SLOP_PX) current.moved = true;
    if (!current.moved || current.pinched) return;
    const sizes = measure();
    const scaled = sizes ? { x: sizes.content.x * current.startView.scale, y: sizes.content.y * current.startView.scale } : null;
    const overflowsX = !!sizes && !!scaled && scaled.x > sizes.viewport.width + 1;
    const overflowsY = !!sizes && !!scaled && scaled.y > sizes.viewport.height + 1;
    if (!overflowsX && !overflowsY) return;
    apply({
      scale: current.startView.scale,
      x: current.startView.x + (overflowsX ? point.x - current.start.x : 0),
      y: current.startView.y + (overflowsY ? point.y - current.start.y : 0),
    });
  };

  const finish = (event: PointerEvent<HTMLElement>, cancelled: boolean) => {
    pointers.current.delete(event.pointerId);
    const current = gesture.current;
    if (!current) return;
    if (pointers.current.size > 0) return; // the other finger of a pinch is still down
    gesture.current = null;
    if (cancelled || current.pinched) return;
    const point = local(event);
    const dx = point.x - current.start.x;
    const dy = point.y - current.start.y;
    const width = viewportRef.current?.getBoundingClientRect().width ?? 1;
    if (!current.moved && performance.now() - current.startedAt < TAP_MS) {
      const previous = lastTap.current;
      const now = performance.now();
      if (previous && now - previous.at < DOUBLE_TAP_MS && distance(previous.point, point) < 40) {
        lastTap.current = null;
        handlers.current.onDoubleTap?.(point.x / width);
        if (viewRef.current.scale > 1.01) zoomTo(1);
        else zoomTo(DOUBLE_TAP_SCALE, point);
        return;
      }
      const turned = handlers.current.onTap(point.x / width);
      lastTap.current = turned ? null : { at: now, point };
      return;
    }
    const sizes = measure();
    const overflowsX = !!sizes && sizes.content.x * current.startView.scale > sizes.viewport.width + 1;
    if (!overflowsX && Math.abs(dx) >= SWIPE_PX && Math.abs(dx) >= Math.abs(dy) * 1.5) {
      handlers.current.onSwipe(dx < 0 ? -1 : 1);
    }
  };

  const onWheel = (event: WheelEvent<HTMLElement>) => {
    if (event.ctrlKey) {
      zoomTo(viewRef.current.scale * (event.deltaY < 0 ? 1.15 : 1 / 1.15), local(event));
      return;
    }
    apply({ ...viewRef.current, x: viewRef.current.x - event.deltaX, y: viewRef.current.y - event.deltaY });
  };

  return {
    view,
    zoomTo,
    handlers: {
      onPointerDown,
      onPointerMove,
      onPointerUp: (event: PointerEvent<HTMLElement>) => finish(event, false),
      onPointerCancel: (event: PointerEvent<HTMLElement>) => finish(event, true),
      onWheel,
    },
  };
}
