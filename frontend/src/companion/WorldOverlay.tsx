/**
 * The world graph, drawn in plain SVG with a small force layout. "This page" shows who is on the page and their
 * closest ties; "Whole world" everyone met so far. Nodes that appeared since the last look fade in. Clicking a
 * node opens its card (with the wiki summary up to the reader's page) and an "Ask in wiki mode" button.
 *
 * Keyboard and screen readers: the map is a modal dialog that keeps Tab inside it and gives focus back to the
 * control that opened it when it closes. The drawing is a labelled group (not an image, which would hide its
 * nodes) whose nodes are buttons named by their visible label ("Marlo Finch", the kind as their description); the
 * edge lines are decoration and hidden.
 */

import { useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { ApiError } from "../api/client";
import { getEntity, getWorldGraph } from "./api";
import "./chat/world.css";
import { bounds, forceLayout, type Point } from "./forceLayout";
import { Segmented } from "./Segmented";
import type { EntityDetail, GraphMode, GraphNode, WorldGraph } from "./types";

interface Props {
  sessionId: string;
  cursor: number;
  spread: boolean;
  onClose: () => void;
  onAsk: (text: string) => void;
}

const SCOPES = [
  ["focus", "This page"],
  ["full", "Whole world"],
] as const;
const KIND_ORDER = ["character", "creature", "faction", "coven", "place", "object", "concept"];
const seenBySession = new Map<string, Set<string>>();

function kindLabel(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

function InfoCard({
  detail,
  onAsk,
  onClose,
}: {
  detail: EntityDetail;
  onAsk: (text: string) => void;
  onClose: () => void;
}) {
  const { node } = detail;
  const card = useRef<HTMLDivElement>(null);
  useEffect(() => card.current?.focus(), [node.id]);
  return (
    <div className="rd-info" role="dialog" aria-label={node.name} tabIndex={-1} ref={card}>
      <div className="spread">
        <div>
          <span className={`rd-kind rd-kind-${node.kind}`}>{kindLabel(node.kind)}</span>
          <h3>{node.name}</h3>
        </div>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onClose} aria-label="Close card">
          ✕
        </button>
      </div>
      {node.image_url && <img className="rd-info-avatar" src={node.image_url} alt="" />}
      {node.summary && <p>{node.summary}</p>}
      {detail.wiki_summary && <p className="rd-info-wiki">{detail.wiki_summary}</p>}
      <p className="small muted">
        First seen in episode {node.episode_debut}, page {node.page_debut}.
      </p>
      {detail.neighbours.length > 0 && (
        <p className="small">
          Connected to {detail.neighbours.map((n) => n.name).join(", ")}.
        </p>
      )}
      <button type="button" className="btn btn-primary btn-sm" onClick={() => onAsk(`Tell me about ${node.name}`)}>
        Ask in wiki mode
      </button>
    </div>
  );
}

export function WorldOverlay({ sessionId, cursor, spread, onClose, onAsk }: Props) {
  const [mode, setMode] = useState<GraphMode>("focus");
  const [graph, setGraph] = useState<WorldGraph | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<EntityDetail | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [hovered, setHovered] = useState<string | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const lastNode = useRef<string | null>(null);

  // Focus moves into the map when it opens and back to whatever opened it (the World button) when it closes.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    getWorldGraph(sessionId, mode, spread, controller.signal)
      .then((data) => {
        const seen = seenBySession.get(sessionId);
        setFresh(new Set(seen ? data.nodes.filter((n) => !seen.has(n.id)).map((n) => n.id) : []));
        const next = seen ?? new Set<string>();
        data.nodes.forEach((n) => next.add(n.id));
        seenBySession.set(sessionId, next);
        setGraph(data);
        setError(null);
      })
      .catch((reason: unknown) => {
        if (!controller.signal.aborted) setError(reason instanceof ApiError ? reason.message : "Could not load the map.");
      });
    return () => controller.abort();
  }, [sessionId, mode, spread, cursor]);

  const closeCard = () => {
    setSelected(null);
    // Back to the node whose card it was, so a keyboard user carries on where they were.
    const slug = lastNode.current;
    requestAnimationFrame(() => {
      const node = slug ? dialog.current?.querySelector<SVGGElement>(`.rd-node[data-slug="${CSS.escape(slug)}"]`) : null;
      (node ?? dialog.current)?.focus();
    });
  };

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== "Escape") return;
      if (selected) closeCard();
      else onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  /** Tab and Shift+Tab stay inside the dialog (aria-modal promises the rest of the page is out of reach). */
  const trapTab = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "Tab" || !dialog.current) return;
    const focusable = [
      ...dialog.current.querySelectorAll<HTMLElement | SVGElement>(
        'button:not([disabled]), [tabindex="0"], a[href], input, select, textarea',
      ),
    ];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const kinds = useMemo(() => {
    const counts = new Map<string, number>();
    graph?.nodes.forEach((n) => counts.set(n.kind, (counts.get(n.kind) ?? 0) + 1));
    return [...counts.entries()].sort((a, b) => KIND_ORDER.indexOf(a[0]) - KIND_ORDER.indexOf(b[0]));
  }, [graph]);

  const nodes = useMemo(() => graph?.nodes.filter((n) => !hidden.has(n.kind)) ?? [], [graph, hidden]);
  const ids = useMemo(() => new Set(nodes.map((n) => n.id)), [nodes]);
  const edges = useMemo(() => graph?.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) ?? [], [graph, ids]);
  const layout = useMemo(() => forceLayout(nodes, edges), [nodes, edges]);
  const box = bounds(layout.values());

  const open = (node: GraphNode) => {
    lastNode.current = node.slug;
    getEntity(sessionId, node.slug)
      .then(setSelected)
      .catch(() => setSelected(null));
  };
  const toggleKind = (kind: string) => {
    setHidden((current) => {
      const next = new Set(current);
      if (next.has(kind)) next.delete(kind);
      else if (kinds.length - next.size > 1) next.add(kind);
      return next;
    });
    setSelected(null);
  };
  const at = (id: string): Point => layout.get(id) ?? { x: 0, y: 0 };

  return (
    <div className="rd-overlay" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div
        className="rd-world"
        role="dialog"
        aria-modal="true"
        aria-label="World map"
        tabIndex={-1}
        ref={dialog}
        onKeyDown={trapTab}
      >
        <div className="rd-world-head">
          <h2>World</h2>
          <Segmented label="Show" value={mode} options={SCOPES} onChange={setMode} />
          <button type="button" className="btn btn-ghost btn-sm" onClick={onClose} aria-label="Close the map">
            ✕
          </button>
        </div>
        <div className="rd-kinds" aria-label="Kinds">
          {kinds.map(([kind, count]) => (
            <button
              key={kind}
              type="button"
              className={`rd-kind-filter rd-kind-${kind}`}
              aria-pressed={!hidden.has(kind)}
              onClick={() => toggleKind(kind)}
            >
              <span className="rd-kind-dot" aria-hidden="true" />
              {kindLabel(kind)} <span className="muted">{count}</span>
            </button>
          ))}
        </div>
        {error && <div className="alert alert-error">{error}</div>}
        {graph && graph.nodes.length === 0 && <p className="empty">Nobody to show yet: the map fills in as you read.</p>}
        {graph && nodes.length > 0 && (
          <svg
            className="rd-graph"
            viewBox={`${box.x} ${box.y} ${box.width} ${box.height}`}
            role="group"
            aria-label={`${nodes.length} people, places and things met so far`}
          >
            <defs>
              <clipPath id="rd-avatar-clip">
                <circle r={20} />
              </clipPath>
            </defs>
            <g className="rd-edges" aria-hidden="true">
              {edges.map((edge) => {
                const a = at(edge.source);
                const b = at(edge.target);
                const focus = hovered ?? selected?.node.id;
                const near = focus !== undefined && (edge.source === focus || edge.target === focus);
                // Every label on a small map; on a busy one only those of the node in focus, to stay readable.
                const labelled = edges.length <= 6 || near;
                return (
                  <g key={edge.id} className={`rd-edge ${near ? "rd-edge-near" : ""}`}>
                    <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
                    {labelled && (
                      <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 4}>
                        {edge.kind.replace(/_/g, " ")}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
            <g className="rd-nodes">
              {nodes.map((node) => {
                const p = at(node.id);
                return (
                  <g
                    key={node.id}
                    className={`rd-node rd-kind-${node.kind} ${fresh.has(node.id) ? "rd-node-new" : ""} ${selected?.node.id === node.id ? "rd-node-selected" : ""}`}
                    transform={`translate(${p.x} ${p.y})`}
                    tabIndex={0}
                    role="button"
                    data-slug={node.slug}
                    data-debut={node.debut_index}
                    onClick={() => open(node)}
                    onMouseEnter={() => setHovered(node.id)}
                    onMouseLeave={() => setHovered(null)}
                    onFocus={() => setHovered(node.id)}
                    onBlur={() => setHovered(null)}
                    onKeyDown={(event) => {
                      if (event.key !== "Enter" && event.key !== " ") return;
                      event.preventDefault();
                      open(node);
                    }}
                  >
                    <circle className="rd-node-ring" r={29} aria-hidden="true" />
                    <circle r={22} />
                    {node.image_url ? (
                      <image
                        className="rd-node-avatar"
                        href={node.image_url}
                        x={-20}
                        y={-20}
                        width={40}
                        height={40}
                        clipPath="url(#rd-avatar-clip)"
                        preserveAspectRatio="xMidYMid slice"
                      />
                    ) : (
                      <text className="rd-node-initial" dy="0.35em" aria-hidden="true">
                        {node.name.charAt(0)}
                      </text>
                    )}
                    <text className="rd-node-label" y={38}>
                      {node.name}
                    </text>
                    <desc>{kindLabel(node.kind)}</desc>
                  </g>
                );
              })}
            </g>
          </svg>
        )}
        {selected && <InfoCard detail={selected} onAsk={onAsk} onClose={closeCard} />}
      </div>
    </div>
  );
}
