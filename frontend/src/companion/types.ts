/** Shapes of the Companion API (mirrors `scriptorium/companion/schemas.py`). */

export type Mode = "page" | "wiki";
export type ReadingStatus = "unread" | "reading" | "finished";
export type GraphMode = "full" | "focus";

export interface EpisodeCard {
  id: string;
  slug: string;
  title: string;
  episode_number: number;
  page_count: number;
  cover_image_url: string | null;
  plot_summary: string | null;
  reading_status: ReadingStatus;
  current_page: number | null;
}

export interface CharacterRef {
  id: string;
  name: string;
  image_url: string | null;
}

export interface PageView {
  id: string;
  page_number: number;
  global_index: number;
  visible: boolean;
  image_url: string | null;
  thumbnail_url: string | null;
  image_metadata: { width?: number; height?: number };
  characters: CharacterRef[];
}

export interface EpisodeDetail {
  id: string;
  slug: string;
  title: string;
  episode_number: number;
  page_count: number;
  plot_summary: string | null;
  credits_url: string | null;
  characters: CharacterRef[];
  pages: PageView[];
  current_page: number | null;
}

export interface SessionCreated {
  session_id: string;
  /** The page on screen (the left page of a spread). */
  current_page: number;
  /** The furthest page reached: what the companion knows, never lowered by going back. */
  furthest_page: number;
  reader_token: string;
  episode_slug: string;
  page_count: number;
  resumed: boolean;
}

export interface Moved {
  ok: boolean;
  current_page: number;
  furthest_page: number;
  pages: PageView[];
}

export interface Citation {
  doc_id: string;
  kind: Mode;
  episode_slug: string | null;
  episode_number: number | null;
  page_number: number | null;
  global_index: number;
  title: string;
}

export interface Suggestion {
  mode: Mode;
  text: string;
}

export interface StoredMessage {
  id: string;
  role: "user" | "assistant";
  mode: Mode | null;
  content: string;
  status: string;
  citations: Citation[];
  suggestions: Suggestion[];
  retrieved_doc_ids: string[];
  created_at: string;
}

export interface SessionState {
  session_id: string;
  episode_slug: string;
  episode_number: number;
  current_page: number;
  furthest_page: number;
  page_count: number;
  cursor_index: number;
  messages: StoredMessage[];
}

export interface DoneFrame {
  message_id: string;
  retrieved_doc_ids: string[];
  citations: Citation[];
  suggestions: Suggestion[];
  provider: string;
  status: string;
}

export interface ChatFrames {
  token: { text: string };
  done: DoneFrame;
  error: { code: string; message: string };
}

export interface GraphNode {
  id: string;
  slug: string;
  name: string;
  kind: string;
  summary: string;
  image_url: string | null;
  x: number;
  y: number;
  episode_debut: number;
  page_debut: number;
  debut_index: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: string;
  summary: string;
  episode_debut: number;
  page_debut: number;
  debut_index: number;
}

export interface WorldGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  mode: GraphMode;
  cursor_index: number;
}

export interface EntityDetail {
  node: GraphNode;
  wiki_summary: string;
  wiki_sections: string[];
  relations: GraphEdge[];
  neighbours: GraphNode[];
}
