import { describe, expect, it } from "vitest";
import { SseParser, decodeData, parseFrames, type SseFrame } from "./sse";

function parse(chunks: string[]): { frames: SseFrame[]; parser: SseParser } {
  const frames: SseFrame[] = [];
  const parser = new SseParser((frame) => frames.push(frame));
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { frames, parser };
}

const STREAM =
  ": keep-alive comment\r\n" +
  "event: token\r\ndata: {\"text\":\"Hel\"}\r\nid: 1\r\n\r\n" +
  "event: token\ndata: {\"text\":\"lo\"}\n\n" +
  "data: first line\rdata: second line\r\r" +
  "retry: 1500\nevent: ping\n\n" +
  "event: done\ndata:{\"ok\":true}\nid: 2\n\n";

describe("SseParser", () => {
  it("reads CRLF, LF and CR line endings, comments, ids and retry", () => {
    const { frames, parser } = parse([STREAM]);
    expect(frames).toEqual([
      { event: "token", data: '{"text":"Hel"}', id: "1" },
      { event: "token", data: '{"text":"lo"}', id: "1" },
      { event: "message", data: "first line\nsecond line", id: "1" },
      { event: "done", data: '{"ok":true}', id: "2" },
    ]);
    expect(parser.retryMs).toBe(1500);
    expect(parser.lastId).toBe("2");
  });

  it("gives the same frames however the stream is split into chunks", () => {
    const whole = parse([STREAM]).frames;
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parse([STREAM.slice(0, cut), STREAM.slice(cut)]).frames, `cut at ${cut}`).toEqual(whole);
    }
    expect(parse(STREAM.split("")).frames).toEqual(whole);
  });

  it("drops a frame the stream ended before finishing", () => {
    expect(parse(["data: complete\n\n", "data: cut off\n"]).frames.map((f) => f.data)).toEqual(["complete"]);
  });

  it("keeps data verbatim except one leading space", () => {
    const { frames } = parse(["data:  two spaces\ndata\ndata::colon\n\n"]);
    expect(frames[0]?.data).toBe(" two spaces\n\n:colon");
  });

  it("ignores an id containing NUL and unknown fields", () => {
    const { frames } = parse(["id: 7\ndata: a\n\nid: a\u0000b\nfoo: bar\ndata: x\n\n"]);
    expect(frames).toEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "x", id: "7" },
    ]);
  });

  it("ends a last frame closed by CR CR only when the stream ends", () => {
    const frames: SseFrame[] = [];
    const parser = new SseParser((frame) => frames.push(frame));
    parser.feed("data: last\r\r");
    expect(frames).toEqual([]);
    parser.end();
    expect(frames).toEqual([{ event: "message", data: "last", id: null }]);
  });
});

describe("parseFrames", () => {
  it("reads the frames of a whole body", () => {
    expect(parseFrames(': hi\nevent: error\ndata: {"detail":"no"}\n\n').map((f) => [f.event, f.data])).toEqual([
      ["error", '{"detail":"no"}'],
    ]);
    expect(parseFrames("not a stream")).toEqual([]);
  });
});

describe("decodeData", () => {
  it("parses JSON and falls back to the raw text", () => {
    expect(decodeData('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(decodeData("plain words")).toBe("plain words");
  });
});
