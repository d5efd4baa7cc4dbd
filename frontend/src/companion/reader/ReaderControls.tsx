/**
 * The reading controls under the book: previous/next, where the reader is, how a page fits, paged or vertical
 * reading, and zoom. Always shown on wide screens; on a phone they cover the foot of the page, so they show on a
 * tap in the middle of the page (and for a few seconds when an episode opens) and hide again on the next one.
 */

import { Segmented } from "../Segmented";
import type { Fit, Layout } from "./prefs";

interface Props {
  visible: boolean;
  cursor: number;
  count: number;
  canBack: boolean;
  canForward: boolean;
  onBack: () => void;
  onForward: () => void;
  fit: Fit;
  onFit: (fit: Fit) => void;
  layout: Layout;
  onLayout: (layout: Layout) => void;
  zoomed: boolean;
  onZoom: (() => void) | null;
}

const FITS = [
  ["page", "Fit page"],
  ["width", "Fit width"],
] as const;

const LAYOUTS = [
  ["paged", "Pages"],
  ["vertical", "Scroll"],
] as const;

export function ReaderControls(props: Props) {
  const { visible, cursor, count, fit, layout, zoomed } = props;
  return (
    <div
      className={`rd-controls ${visible ? "" : "rd-controls-hidden"}`}
      role="toolbar"
      aria-label="Reading controls"
      data-testid="reader-controls"
    >
      <button type="button" className="btn btn-sm" onClick={props.onBack} disabled={!props.canBack} aria-label="Back">
        <span aria-hidden="true">‹</span>
        <span className="rd-controls-word"> Back</span>
      </button>
      <span className="rd-controls-where">
        {cursor} / {count}
      </span>
      <button type="button" className="btn btn-sm" onClick={props.onForward} disabled={!props.canForward} aria-label="Next">
        <span className="rd-controls-word">Next </span>
        <span aria-hidden="true">›</span>
      </button>
      <span className="rd-controls-gap" />
      {layout === "paged" && <Segmented label="Page size" value={fit} options={FITS} onChange={props.onFit} />}
      <Segmented label="Reading mode" value={layout} options={LAYOUTS} onChange={props.onLayout} />
      {props.onZoom && (
        <button type="button" className="btn btn-sm" aria-pressed={zoomed} onClick={props.onZoom}>
          {zoomed ? "Zoom out" : "Zoom in"}
        </button>
      )}
    </div>
  );
}
