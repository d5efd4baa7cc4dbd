/**
 * The chat beside the book. Answers stream in word by word; `[page 3]` markers and the source list under an answer
 * jump to that page (always one the reader has reached: the server never cites past the position). Chips offer
 * one page question and one wiki question; the mode switch picks what the next question asks.
 */

import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { ApiError, isAbortError } from "../api/client";
import { ask, getSession } from "./api";
import { Segmented } from "./Segmented";
import type { Citation, Mode, StoredMessage, Suggestion } from "./types";

interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  mode: Mode;
  text: string;
  citations: Citation[];
  suggestions: Suggestion[];
  status: "streaming" | "complete" | "stopped" | "failed" | "guarded";
  provider?: string;
  error?: string;
}

interface Props {
  sessionId: string;
  /** The furthest page reached: what the companion knows (the page on screen may be earlier). */
  furthest: number;
  spread: boolean;
  pendingAsk: Suggestion | null;
  onAsked: () => void;
  onJump: (citation: Citation) => void;
  onNewChat: () => Promise<void>;
  onClose: () => void;
}

const MODES = [
  ["page", "This page"],
  ["wiki", "Wiki"],
] as const;

const THINKING = [
  "Leafing back through the pages you've read…",
  "Checking the margins…",
  "Looking for that panel…",
  "Asking the wiki (only the parts you've unlocked)…",
];

function fromStored(message: StoredMessage): ChatMessage {
  const status = ["complete", "stopped", "failed", "guarded"].includes(message.status)
    ? (message.status as ChatMessage["status"])
    : "complete";
  return {
    id: message.id,
    role: message.role,
    mode: message.mode ?? "page",
    text: message.content,
    citations: message.citations,
    suggestions: message.suggestions,
    status,
  };
}

function AnswerText({ text, citations, onJump }: { text: string; citations: Citation[]; onJump: (c: Citation) => void }) {
  const parts = text.split(/(\[[^\]\n]{1,80}\])/g);
  return (
    <p className="rd-msg-text">
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

function Sources({ citations, onJump }: { citations: Citation[]; onJump: (c: Citation) => void }) {
  if (!citations.length) return null;
  return (
    <div className="rd-sources" aria-label="Sources">
      <span className="rd-sources-label">Sources</span>
      {citations.map((citation) => (
        <button
          key={citation.doc_id}
          type="button"
          className={`rd-source rd-source-${citation.kind}`}
          onClick={() => onJump(citation)}
          disabled={citation.page_number === null}
        >
          {citation.title}
        </button>
      ))}
    </div>
  );
}

export function ChatPanel({ sessionId, furthest, spread, pendingAsk, onAsked, onJump, onNewChat, onClose }: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [mode, setMode] = useState<Mode>("page");
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [thinking, setThinking] = useState(THINKING[0] ?? "");
  const abort = useRef<AbortController | null>(null);
  const log = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    getSession(sessionId, controller.signal)
      .then((state) => setMessages(state.messages.map(fromStored)))
      .catch(() => undefined);
    return () => {
      controller.abort();
      abort.current?.abort();
    };
  }, [sessionId]);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight, behavior: "smooth" });
  }, [messages]);

  const update = useCallback((id: string, change: (m: ChatMessage) => ChatMessage) => {
    setMessages((list) => list.map((m) => (m.id === id ? change(m) : m)));
  }, []);

  const send = useCallback(
    async (askMode: Mode, text: string) => {
      const question = text.trim();
      if (!question || busy) return;
      const stamp = Date.now();
      const userId = `u${stamp}`;
      const answerId = `a${stamp}`;
      setThinking(THINKING[stamp % THINKING.length] ?? "");
      setMessages((list) => [
        ...list,
        { id: userId, role: "user", mode: askMode, text: question, citations: [], suggestions: [], status: "complete" },
        { id: answerId, role: "assistant", mode: askMode, text: "", citations: [], suggestions: [], status: "streaming" },
      ]);
      setDraft("");
      setBusy(true);
      const controller = new AbortController();
      abort.current = controller;
      try {
        await ask(
          sessionId,
          { mode: askMode, message: question, spread },
          {
            token: (data) => update(answerId, (m) => ({ ...m, text: m.text + data.text })),
            done: (data) =>
              update(answerId, (m) => ({
                ...m,
                citations: data.citations,
                suggestions: data.suggestions,
                provider: data.provider,
                status: data.status === "guarded" ? "guarded" : "complete",
              })),
            error: (data) => update(answerId, (m) => ({ ...m, status: "failed", error: data.message })),
          },
          controller.signal,
        );
        update(answerId, (m) => (m.status === "streaming" ? { ...m, status: controller.signal.aborted ? "stopped" : "failed", error: controller.signal.aborted ? undefined : "The answer was cut off. Try again." } : m));
      } catch (reason) {
        const message = reason instanceof ApiError ? reason.message : "Could not reach the companion.";
        if (!isAbortError(reason)) update(answerId, (m) => ({ ...m, status: "failed", error: message }));
      } finally {
        setBusy(false);
        abort.current = null;
      }
    },
    [busy, sessionId, spread, update],
  );

  useEffect(() => {
    if (pendingAsk && !busy) {
      setMode(pendingAsk.mode);
      onAsked();
      void send(pendingAsk.mode, pendingAsk.text);
    }
  }, [pendingAsk, busy, send, onAsked]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send(mode, draft);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void send(mode, draft);
    }
  };
  const last = [...messages].reverse().find((m) => m.role === "assistant" && m.status !== "streaming");

  return (
    <aside className="rd-chat" aria-label="Reading companion">
      <div className="rd-chat-head">
        <div>
          <h2>Companion</h2>
          <p className="rd-chat-hint">Knows the story up to page {furthest}, never further.</p>
        </div>
        <div className="cluster">
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => void onNewChat()} disabled={busy}>
            New chat
          </button>
          <button type="button" className="btn btn-sm btn-ghost rd-chat-close" onClick={onClose} aria-label="Close chat">
            ✕
          </button>
        </div>
      </div>
      <div className="rd-chat-log" ref={log} aria-live="polite">
        {messages.length === 0 && (
          <div className="rd-chat-empty">
            <p>Ask about this page (who's here, what just happened), or switch to the wiki for the world's lore.</p>
            <p className="small muted">Nothing you haven't reached yet will come up: not in answers, chips or the map.</p>
          </div>
        )}
        {messages.map((message) => (
          <div key={message.id} className={`rd-msg rd-msg-${message.role}`} data-status={message.status}>
            {message.role === "user" ? (
              <p className="rd-msg-text">
                {message.mode === "wiki" && <span className="rd-mode-tag">Wiki</span>}
                {message.text}
              </p>
            ) : message.status === "streaming" && !message.text ? (
              <p className="rd-typing" role="status">
                <span className="rd-dots" aria-hidden="true">
                  <i />
                  <i />
                  <i />
                </span>
                {thinking}
              </p>
            ) : (
              <>
                {message.text && <AnswerText text={message.text} citations={message.citations} onJump={onJump} />}
                {message.error && <p className="rd-msg-error">{message.error}</p>}
                {message.status === "stopped" && <p className="rd-msg-note">Stopped.</p>}
                <Sources citations={message.citations} onJump={onJump} />
                {message.provider === "offline" && (
                  <p className="rd-msg-note" title="No language model is configured: sentences are quoted from the pages.">
                    Offline answer · quoted from the pages
                  </p>
                )}
              </>
            )}
          </div>
        ))}
        {last && last.suggestions.length > 0 && !busy && (
          <div className="rd-chips" aria-label="Suggested questions">
            {last.suggestions.map((chip) => (
              <button key={`${chip.mode}-${chip.text}`} type="button" className={`rd-chip rd-chip-${chip.mode}`} onClick={() => void send(chip.mode, chip.text)}>
                <span className="rd-chip-mode">{chip.mode === "page" ? "Page" : "Wiki"}</span>
                {chip.text}
              </button>
            ))}
          </div>
        )}
      </div>
      <form className="rd-chat-form" onSubmit={submit}>
        <Segmented label="Ask about" value={mode} options={MODES} onChange={setMode} />
        <label className="visually-hidden" htmlFor="rd-question">
          Your question
        </label>
        <textarea
          id="rd-question"
          className="textarea rd-input"
          rows={2}
          maxLength={2000}
          value={draft}
          placeholder={mode === "page" ? "Ask about what you're reading…" : "Ask the wiki about someone or something…"}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
        {busy ? (
          <button type="button" className="btn" onClick={() => abort.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!draft.trim()}>
            Ask
          </button>
        )}
      </form>
    </aside>
  );
}
