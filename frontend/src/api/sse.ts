/**
 * Server-Sent Events framing for streamed `fetch` responses, read with `eventsource-parser` (the WHATWG rules:
 * any of CRLF, LF or CR ends a line; `data:` lines join with "\n"; a blank line dispatches; comments start with
 * ":"). It exists because `EventSource` can neither POST a body nor send an `Authorization` header; this module
 * only adapts the parser to the frames, ids and `retry:` the rest of the client reads.
 */

import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

export interface SseFrame {
  /** The `event:` name, or "message" when the frame had none. */
  event: string;
  /** The joined `data:` lines, as text. */
  data: string;
  /** The last `id:` seen on this stream (it carries over to later frames, as in EventSource). */
  id: string | null;
}

export class SseParser {
  private readonly parser: EventSourceParser;
  private lastEventId: string | null = null;
  private endsWithCr = false;
  /** The reconnection delay the server asked for with `retry:`, in milliseconds. */
  retryMs: number | null = null;

  constructor(private readonly onFrame: (frame: SseFrame) => void) {
    this.parser = createParser({
      onEvent: (message) => this.dispatch(message),
      onRetry: (ms) => {
        this.retryMs = ms;
      },
    });
  }

  get lastId(): string | null {
    return this.lastEventId;
  }

  /** Feed decoded text; complete lines are processed, a partial line waits for the next chunk. */
  feed(chunk: string): void {
    if (!chunk) return;
    this.endsWithCr = chunk.endsWith("\r");
    this.parser.feed(chunk);
  }

  /** The stream ended: a trailing CR still ends its line; an unfinished frame is dropped, as the spec says. */
  end(): void {
    // The parser holds a final CR back in case an LF follows in the next chunk; none will, so complete it.
    if (this.endsWithCr) this.parser.feed("\n");
    this.endsWithCr = false;
    this.parser.reset();
  }

  private dispatch(message: EventSourceMessage): void {
    if (message.id !== undefined) this.lastEventId = message.id;
    this.onFrame({ event: message.event ?? "message", data: message.data, id: this.lastEventId });
  }
}

/** The frames of a whole event-stream body (e.g. an error answered as one `error` frame). */
export function parseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = new SseParser((frame) => frames.push(frame));
  parser.feed(text);
  parser.end();
  return frames;
}

/** Frame data as JSON when it parses, else the raw text (servers send both). */
export function decodeData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Read a response body to its end through `parser`; resolves when the server closes the stream. */
export async function pumpStream(body: ReadableStream<Uint8Array>, parser: SseParser): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    parser.end();
  } catch (error) {
    // Close the connection rather than leave the server streaming into a reader nobody reads.
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
}
