/**
 * A Server-Sent Events frame parser that follows the WHATWG rules (any of CRLF, LF or CR ends a line; `data:`
 * lines join with "\n"; a blank line dispatches; `id:` persists across frames; comments start with ":").
 * It exists because `EventSource` can neither POST a body nor send an `Authorization` header.
 */

export interface SseFrame {
  /** The `event:` name, or "message" when the frame had none. */
  event: string;
  /** The joined `data:` lines, as text. */
  data: string;
  /** The last `id:` seen on this stream (it carries over to later frames, as in EventSource). */
  id: string | null;
}

export class SseParser {
  private buffer = "";
  private dataLines: string[] = [];
  private eventName = "";
  private lastEventId: string | null = null;
  /** The reconnection delay the server asked for with `retry:`, in milliseconds. */
  retryMs: number | null = null;

  constructor(private readonly onFrame: (frame: SseFrame) => void) {}

  get lastId(): string | null {
    return this.lastEventId;
  }

  /** Feed decoded text; complete lines are processed, a partial line waits for the next chunk. */
  feed(chunk: string): void {
    this.buffer += chunk;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
      // A lone CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: a trailing CR still ends its line; an unfinished frame is dropped, as the spec says. */
  end(): void {
    if (this.buffer.endsWith("\r")) this.line(this.buffer.slice(0, -1));
    this.buffer = "";
    this.dataLines = [];
    this.eventName = "";
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventName = value;
        break;
      case "data":
        this.dataLines.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    const event = this.eventName || "message";
    this.eventName = "";
    if (this.dataLines.length === 0) return;
    const data = this.dataLines.join("\n");
    this.dataLines = [];
    this.onFrame({ event, data, id: this.lastEventId });
  }
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
