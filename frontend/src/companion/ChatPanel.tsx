/**
 * The chat beside the book (a half-height sheet on phones). Answers stream in word by word and render as
 * sanitized Markdown; `[page 3]` markers and the source list under an answer jump to that page (always one the
 * reader has reached: the server never cites past the position), and on a phone the sheet folds away so the page
 * can be seen. A failed or stopped answer has Retry, the last answer Regenerate, every answer Copy. Chips offer
 * one page question and one wiki question; the mode switch picks what the next question asks. Earlier chats in
 * the episode can be listed and reopened; asking in a reopened chat continues it (it becomes the reader's session
 * again, at the reader's current place, never the place it had).
 *
 * Screen readers: the log is not a live region (streamed tokens would be read again and again); a separate
 * polite status announces "thinking" once and each finished answer once.
 */

import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { ApiError, isAbortError } from "../api/client";
import { useReachable } from "../components/useReachable";
import { ask, getSession } from "./api";
import { AnswerBody } from "./chat/AnswerBody";
import { copyText } from "./chat/copy";
import type { SessionSummary } from "./chat/earlier";
import { EarlierChats } from "./chat/EarlierChats";
import { thinkingText } from "./chat/thinking";
import "./chat/chat.css";
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
  /** Resolves once the server knows the page on screen: the companion answers at the server's place. */
  beforeAsk?: () => Promise<void>;
  onAsked: () => void;
  onJump: (citation: Citation) => void;
  onNewChat: () => Promise<void>;
  /** Make an earlier chat the reader's session again (at the current place), then ask `question` in it. */
  onContinue: (summary: SessionSummary, question: Suggestion) => Promise<void>;
  onClose: () => void;
}

const MODES = [
  ["page", "This page"],
  ["wiki", "Wiki"],
] as const;

const PHONE = "(max-width: 900px)";

function isPhone(): boolean {
  return window.matchMedia?.(PHONE).matches ?? false;
}

/** What a screen reader hears once an answer is finished: its text without the `[page 3]` brackets. */
function announcement(message: ChatMessage): string {
  if (message.status === "failed") return `The answer failed. ${message.error ?? ""}`.trim();
  if (message.status === "stopped") return "Answer stopped.";
  return `Answer: ${message.text.replace(/\[([^\]\n]{1,80})\]/g, "$1")}`;
}

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

function MessageView({
  message,
  canRetry,
  onJump,
  onRetry,
}: {
  message: ChatMessage;
  canRetry: boolean;
  onJump: (c: Citation) => void;
  onRetry?: () => void;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const retryLabel = message.status === "failed" || message.status === "stopped" ? "Retry" : "Regenerate";
  return (
    <>
      {message.text && <AnswerBody text={message.text} citations={message.citations} onJump={onJump} />}
      {message.error && <p className="rd-msg-error">{message.error}</p>}
      {message.status === "stopped" && <p className="rd-msg-note">Stopped.</p>}
      <Sources citations={message.citations} onJump={onJump} />
      {message.provider === "offline" && (
        <p className="rd-msg-note" title="No language model is configured: sentences are quoted from the pages.">
          Offline answer · quoted from the pages
        </p>
      )}
      <div className="rd-msg-actions">
        {message.text && (
          <button
            type="button"
            className="rd-msg-action"
            onClick={() => void copyText(message.text.trim()).then(setCopied)}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        )}
        {canRetry && onRetry && (
          <button type="button" className="rd-msg-action" onClick={onRetry}>
            {retryLabel}
          </button>
        )}
      </div>
    </>
  );
}

export function ChatPanel({
  sessionId,
  furthest,
  spread,
  pendingAsk,
  beforeAsk,
  onAsked,
  onJump,
  onNewChat,
  onContinue,
  onClose,
}: Props) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [episodeSlug, setEpisodeSlug] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>("page");
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [thinking, setThinking] = useState(() => thinkingText("page", 0));
  const [said, setSaid] = useState("");
  const [listing, setListing] = useState(false);
  const [earlier, setEarlier] = useState<{ summary: SessionSummary; messages: ChatMessage[] } | null>(null);
  const [continuing, setContinuing] = useState(false);
  const [continueError, setContinueError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const log = useRef<HTMLDivElement>(null);
  const reachable = useReachable();

  // A streaming answer stops when the chat closes or changes session.
  useEffect(() => () => abort.current?.abort(), [sessionId]);

  // The conversation so far; if the server could not be reached, loaded again as soon as it answers.
  const loadedFor = useRef<string | null>(null);
  const [historyLoaded, setHistoryLoaded] = useState(false);
  useEffect(() => {
    if (!reachable || loadedFor.current === sessionId) return;
    const controller = new AbortController();
    getSession(sessionId, controller.signal)
      .then((state) => {
        loadedFor.current = sessionId;
        // A question asked while the history was on its way (a quick reader on a slow server) stays after it:
        // replacing the list would drop the answer that is streaming into it.
        const stored = state.messages.map(fromStored);
        const known = new Set(stored.map((m) => m.id));
        setMessages((list) => [...stored, ...list.filter((m) => !known.has(m.id))]);
        setEpisodeSlug(state.episode_slug);
        setHistoryLoaded(true);
      })
      .catch(() => undefined);
    return () => controller.abort();
  }, [sessionId, reachable]);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight, behavior: "smooth" });
  }, [messages, earlier]);

  const update = useCallback((id: string, change: (m: ChatMessage) => ChatMessage) => {
    setMessages((list) => list.map((m) => (m.id === id ? change(m) : m)));
  }, []);

  const jump = useCallback(
    (citation: Citation) => {
      onJump(citation);
      // On a phone the sheet covers the book: fold it so the cited page can be seen.
      if (isPhone()) onClose();
    },
    [onJump, onClose],
  );

  const send = useCallback(
    async (askMode: Mode, text: string, replacing?: string) => {
      const question = text.trim();
      if (!question || busy) return;
      const stamp = Date.now();
      const userId = `u${stamp}`;
      const answerId = `a${stamp}`;
      const line = thinkingText(askMode, stamp);
      setThinking(line);
      setSaid(line);
      setEarlier(null);
      setListing(false);
      setMessages((list) => {
        // Retry and Regenerate ask the same question again in place of the answer they replace.
        const at = replacing ? list.findIndex((m) => m.id === replacing) : -1;
        const kept = at > 0 && list[at - 1]?.role === "user" ? list.slice(0, at - 1) : at === 0 ? [] : list;
        return [
          ...(at >= 0 ? kept : list),
          { id: userId, role: "user", mode: askMode, text: question, citations: [], suggestions: [], status: "complete" },
          { id: answerId, role: "assistant", mode: askMode, text: "", citations: [], suggestions: [], status: "streaming" },
        ];
      });
      setDraft("");
      setBusy(true);
      const controller = new AbortController();
      abort.current = controller;
      try {
        await beforeAsk?.();
        if (controller.signal.aborted) {
          update(answerId, (m) => ({ ...m, status: "stopped" }));
          return;
        }
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
        update(answerId, (m) =>
          m.status === "streaming"
            ? {
                ...m,
                status: controller.signal.aborted ? "stopped" : "failed",
                error: controller.signal.aborted ? undefined : "The answer was cut off.",
              }
            : m,
        );
      } catch (reason) {
        if (isAbortError(reason)) {
          update(answerId, (m) => (m.status === "streaming" ? { ...m, status: "stopped" } : m));
        } else {
          const message = reason instanceof ApiError ? reason.message : "Could not reach the companion.";
          update(answerId, (m) => ({ ...m, status: "failed", error: message }));
        }
      } finally {
        setBusy(false);
        abort.current = null;
      }
    },
    [busy, sessionId, spread, update, beforeAsk],
  );

  // Announce an answer once, when it is finished (never token by token).
  const wasBusy = useRef(false);
  useEffect(() => {
    if (wasBusy.current && !busy) {
      const answer = [...messages].reverse().find((m) => m.role === "assistant");
      if (answer && answer.status !== "streaming") setSaid(announcement(answer));
    }
    wasBusy.current = busy;
  }, [busy, messages]);

  // A question handed over (from the map, or one that continued an earlier chat) is asked once the conversation so
  // far is here: asked before, a history that arrived after its answer was saved would show it twice.
  useEffect(() => {
    if (pendingAsk && !busy && historyLoaded) {
      setMode(pendingAsk.mode);
      onAsked();
      void send(pendingAsk.mode, pendingAsk.text);
    }
  }, [pendingAsk, busy, historyLoaded, send, onAsked]);

  const openEarlier = useCallback((summary: SessionSummary) => {
    setListing(false);
    setContinueError(null);
    getSession(summary.session_id)
      .then((state) => setEarlier({ summary, messages: state.messages.map(fromStored) }))
      .catch(() => setEarlier({ summary, messages: [] }));
  }, []);

  /** A question asked with an earlier chat open continues that chat (the panel then reopens on it). */
  const continueWith = async (text: string) => {
    if (!earlier || continuing || !text.trim()) return;
    setContinuing(true);
    setContinueError(null);
    try {
      await onContinue(earlier.summary, { mode, text: text.trim() });
    } catch (reason) {
      setContinueError(reason instanceof ApiError ? reason.message : "Could not reach the server to continue this chat.");
      setContinuing(false);
    }
  };
  const askNow = (text: string) => void (earlier ? continueWith(text) : send(mode, text));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    askNow(draft);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      askNow(draft);
    }
  };
  const lastAnswer = [...messages].reverse().find((m) => m.role === "assistant");
  const last = lastAnswer && lastAnswer.status !== "streaming" ? lastAnswer : undefined;
  const questionOf = (answer: ChatMessage): ChatMessage | undefined => {
    const at = messages.indexOf(answer);
    const before = at > 0 ? messages[at - 1] : undefined;
    return before?.role === "user" ? before : undefined;
  };
  const shown = earlier ? earlier.messages : messages;

  return (
    <aside className="rd-chat" aria-label="Reading companion">
      <div className="rd-chat-head">
        <div className="rd-chat-headrow">
          <h2>Companion</h2>
          <div className="cluster">
            {episodeSlug && (
              <button
                type="button"
                className="btn btn-sm btn-ghost"
                aria-expanded={listing}
                onClick={() => {
                  setEarlier(null);
                  setListing((open) => !open);
                }}
                disabled={busy}
              >
                Earlier chats
              </button>
            )}
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => void onNewChat()} disabled={busy}>
              New chat
            </button>
            <button type="button" className="btn btn-sm btn-ghost rd-chat-close" onClick={onClose} aria-label="Close chat">
              ✕
            </button>
          </div>
        </div>
        <p className="rd-chat-hint">Knows the story up to page {furthest}, never further.</p>
      </div>
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="chat-announcer">
        {said}
      </div>
      <div className="rd-chat-log" ref={log} data-testid="chat-log">
        {!reachable && (
          <p className="rd-connection" data-testid="connection-notice">
            <span className="spinner" aria-hidden="true" /> Can't reach the server. Trying again…
          </p>
        )}
        {listing && episodeSlug && (
          <EarlierChats
            episodeSlug={episodeSlug}
            currentId={sessionId}
            onOpen={openEarlier}
            onClose={() => setListing(false)}
          />
        )}
        {earlier && (
          <div className="rd-earlier-bar" role="note" data-testid="earlier-bar">
            <span>
              Earlier chat: <strong>{earlier.summary.title}</strong>. Ask below to continue it; it will know the
              story up to page {furthest}, where you are now.
            </span>
            <button type="button" className="btn btn-sm" onClick={() => setEarlier(null)}>
              Back to this chat
            </button>
            {continueError && (
              <p className="alert alert-error" role="alert">
                {continueError}
              </p>
            )}
          </div>
        )}
        {!listing && !earlier && messages.length === 0 && (
          <div className="rd-chat-empty">
            <p>Ask about this page (who's here, what just happened), or switch to the wiki for the world's lore.</p>
            <p className="small muted">Nothing you haven't reached yet will come up: not in answers, chips or the map.</p>
          </div>
        )}
        {!listing &&
          shown.map((message) => (
            <div key={message.id} className={`rd-msg rd-msg-${message.role}`} data-status={message.status}>
              {message.role === "user" ? (
                <p className="rd-msg-text">
                  {message.mode === "wiki" && <span className="rd-mode-tag">Wiki</span>}
                  {message.text}
                </p>
              ) : message.status === "streaming" && !message.text ? (
                <p className="rd-typing">
                  <span className="rd-dots" aria-hidden="true">
                    <i />
                    <i />
                    <i />
                  </span>
                  {thinking}
                </p>
              ) : (
                <MessageView
                  message={message}
                  onJump={jump}
                  canRetry={!earlier && !busy && message === last && questionOf(message) !== undefined}
                  onRetry={() => {
                    const question = questionOf(message);
                    if (question) void send(message.mode, question.text, message.id);
                  }}
                />
              )}
            </div>
          ))}
        {!listing && !earlier && last && last.suggestions.length > 0 && !busy && (
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
          placeholder={
            earlier
              ? "Ask to continue this earlier chat…"
              : mode === "page"
                ? "Ask about what you're reading…"
                : "Ask the wiki about someone or something…"
          }
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
        {busy ? (
          <button type="button" className="btn" onClick={() => abort.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!draft.trim() || continuing}>
            {earlier ? "Continue" : "Ask"}
          </button>
        )}
      </form>
    </aside>
  );
}
