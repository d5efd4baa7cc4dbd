/**
 * An in-page question before something that cannot be taken back quietly (replacing an edit, downloading drafts
 * that are not ready). It is an `alertdialog` that takes focus on the safe answer, so a stray Enter keeps things
 * as they are and a screen reader hears the question at once.
 */

import { useEffect, useId, useRef } from "react";

export interface Ask {
  title: string;
  message: string;
  confirm: string;
  cancel?: string;
  onConfirm: () => void;
}

export function ConfirmBar({ ask, onClose }: { ask: Ask | null; onClose: () => void }) {
  const safe = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    if (ask) safe.current?.focus();
  }, [ask]);
  if (!ask) return null;
  return (
    <div role="alertdialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}
      className="alert confirm-bar" data-testid="confirm-bar">
      <strong id={`${id}-title`}>{ask.title}</strong>
      <p id={`${id}-text`} className="small">{ask.message}</p>
      <div className="cluster">
        <button type="button" className="btn btn-primary btn-sm" onClick={() => (onClose(), ask.onConfirm())}>
          {ask.confirm}
        </button>
        <button type="button" className="btn btn-ghost btn-sm" ref={safe} onClick={onClose}>
          {ask.cancel ?? "Cancel"}
        </button>
      </div>
    </div>
  );
}
