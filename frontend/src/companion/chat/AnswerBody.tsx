/**
 * One answer's text. Until the Markdown chunk has loaded (the first answer of a visit) the text shows as plain
 * text with its citation buttons, so nothing waits on it; after that it is rendered Markdown. Citation buttons
 * inside the rendered HTML are handled by one delegated click listener.
 */

import { useEffect, useRef, useState, type MouseEvent } from "react";
import type { Citation } from "../types";

type Render = (text: string, labels: readonly string[]) => DocumentFragment;
let loaded: Render | null = null;
let loading: Promise<Render> | null = null;

function loadRenderer(): Promise<Render> {
  loading ??= import("./markdown").then((module) => {
    loaded = module.renderAnswer;
    return loaded;
  });
  return loading;
}

function PlainAnswer({ text, citations, onJump }: { text: string; citations: Citation[]; onJump: (c: Citation) => void }) {
  const parts = text.split(/(\[[^\]\n]{1,80}\])/g);
  return (
    <p>
      {parts.map((part, i) => {
        const label = part.startsWith("[") && part.endsWith("]") ? part.slice(1, -1) : null;
        const citation = label ? citations.find((c) => c.title === label) : undefined;
        if (!citation) return <span key={i}>{part}</span>;
        return (
          <button key={i} type="button" className="rd-cite-inline" onClick={() => onJump(citation)} title={`Go to ${label}`}>
            {label}
          </button>
        );
      })}
    </p>
  );
}

export function AnswerBody({ text, citations, onJump }: { text: string; citations: Citation[]; onJump: (c: Citation) => void }) {
  const [render, setRender] = useState<Render | null>(() => loaded);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (render) return;
    let live = true;
    loadRenderer()
      .then((fn) => live && setRender(() => fn))
      .catch(() => undefined); // stays plain text: still readable, citations still work
    return () => {
      live = false;
    };
  }, [render]);

  useEffect(() => {
    if (!render || !box.current) return;
    box.current.replaceChildren(render(text, citations.map((c) => c.title)));
  }, [render, text, citations]);

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const target = (event.target as HTMLElement).closest<HTMLElement>("[data-cite]");
    const citation = target ? citations[Number(target.dataset.cite)] : undefined;
    if (citation) onJump(citation);
  };

  if (!render) {
    return (
      <div className="rd-msg-text rd-md">
        <PlainAnswer text={text} citations={citations} onJump={onJump} />
      </div>
    );
  }
  return <div className="rd-msg-text rd-md" ref={box} onClick={onClick} data-testid="answer-markdown" />;
}
