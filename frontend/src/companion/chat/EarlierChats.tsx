/**
 * The reader's earlier conversations in this episode: a list to reopen one from. A reopened chat shows its answers
 * (their page links work); a question asked in it continues it at the reader's current place (ChatPanel).
 */

import { useEffect, useState } from "react";
import { ApiError } from "../../api/client";
import { listEarlierChats, when, type SessionSummary } from "./earlier";

interface Props {
  episodeSlug: string;
  currentId: string;
  onOpen: (summary: SessionSummary) => void;
  onClose: () => void;
}

export function EarlierChats({ episodeSlug, currentId, onOpen, onClose }: Props) {
  const [items, setItems] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    listEarlierChats(episodeSlug, controller.signal)
      .then((list) => setItems(list.filter((s) => s.session_id !== currentId)))
      .catch((reason: unknown) => {
        if (!controller.signal.aborted) setError(reason instanceof ApiError ? reason.message : "Could not load your chats.");
      });
    return () => controller.abort();
  }, [episodeSlug, currentId]);

  return (
    <section className="rd-earlier" aria-labelledby="rd-earlier-title">
      <div className="spread">
        <h3 id="rd-earlier-title">Earlier chats</h3>
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          Back to this chat
        </button>
      </div>
      {error && <p className="alert alert-error">{error}</p>}
      {!items && !error && <p className="small muted">Loading…</p>}
      {items && items.length === 0 && <p className="small muted">No earlier chats in this episode yet.</p>}
      {items && items.length > 0 && (
        <ul className="rd-earlier-list">
          {items.map((item) => (
            <li key={item.session_id}>
              <button type="button" className="rd-earlier-item" onClick={() => onOpen(item)}>
                <span className="rd-earlier-name">{item.title}</span>
                <span className="small muted">
                  {when(item.updated_at)} · {Math.max(1, Math.ceil(item.message_count / 2))}{" "}
                  {item.message_count > 2 ? "questions" : "question"} · up to page {item.furthest_page}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
