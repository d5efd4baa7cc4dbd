/**
 * Shapes of the Companion API, aliased from the types generated from the OpenAPI document (`api/schema.d.ts`,
 * `make api-types`; the models are in src/scriptorium/companion/schemas.py). The chat stream's frames are not in
 * the document (an event stream's payloads have no schema there), so `DoneFrame` and `ChatFrames` stay written
 * out here, built from the generated pieces.
 */

import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type Mode = Schemas["SuggestionPublic"]["mode"];
export type ReadingStatus = Schemas["EpisodeSummaryPublic"]["reading_status"];
export type GraphMode = Schemas["WorldGraphPublic"]["mode"];

export type EpisodeCard = Schemas["EpisodeSummaryPublic"];
export type CharacterRef = Schemas["CharacterRef"];
export type PageView = Schemas["PagePublic"];
export type EpisodeDetail = Schemas["EpisodeDetailPublic"];
export type SessionCreated = Schemas["SessionCreated"];
/** The answer to a page turn (`PATCH /api/sessions/{id}`). */
export type Moved = Schemas["Ok"];
export type Citation = Schemas["CitationPublic"];
export type Suggestion = Schemas["SuggestionPublic"];
export type StoredMessage = Schemas["MessagePublic"];
export type SessionState = Schemas["SessionPublic"];
export type GraphNode = Schemas["GraphNode"];
export type GraphEdge = Schemas["GraphEdge"];
export type WorldGraph = Schemas["WorldGraphPublic"];
export type EntityDetail = Schemas["EntityDetailPublic"];

/** The `done` frame that ends an answer (written by src/scriptorium/companion/chat/stream.py). */
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
