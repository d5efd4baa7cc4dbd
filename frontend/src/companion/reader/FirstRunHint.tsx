/** The first time someone opens the reader: how to turn pages and zoom, in the words of the device in hand. */

import { useEffect, useRef } from "react";

interface Props {
  onDismiss: () => void;
}

export function FirstRunHint({ onDismiss }: Props) {
  const touch = !!window.matchMedia?.("(pointer: coarse)").matches;
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    button.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="rd-hint" role="dialog" aria-modal="false" aria-labelledby="rd-hint-title" data-testid="first-run-hint">
      <p id="rd-hint-title" className="rd-hint-title">
        {touch ? "Tap the edges or swipe to turn pages" : "Click the edges of the page or use the arrow keys to turn pages"}
      </p>
      <p className="rd-hint-more">
        {touch
          ? "Tap the middle for the controls. Double-tap or pinch to zoom."
          : "Click the middle for the controls. Double-click or Ctrl + scroll to zoom."}
      </p>
      <button ref={button} type="button" className="btn btn-primary btn-sm" onClick={onDismiss}>
        Got it
      </button>
    </div>
  );
}
