/**
 * Where the sentences behind each review reason sit in a draft, as plain segments a component can render.
 *
 * A check names its offending sentences verbatim (`checks[].sentences`), but a sentence splitter may have
 * normalized the whitespace around a line break, so a sentence is found exactly first and then with any run of
 * whitespace matching any other. Overlapping sentences of different reasons split into segments that each carry
 * every reason covering them, so each piece of text says all of its reasons.
 */

export interface Flag {
  sentence: string;
  /** Index of the reason in the legend shown beside the draft. */
  reason: number;
}

export interface Segment {
  text: string;
  reasons: number[];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every `[start, end)` where `sentence` stands in `text`. */
export function locate(text: string, sentence: string): [number, number][] {
  const wanted = sentence.trim();
  if (!wanted) return [];
  const found: [number, number][] = [];
  for (let at = text.indexOf(wanted); at !== -1; at = text.indexOf(wanted, at + wanted.length)) {
    found.push([at, at + wanted.length]);
  }
  if (found.length > 0) return found;
  const loose = new RegExp(wanted.split(/\s+/).map(escape).join("\\s+"), "g");
  for (const match of text.matchAll(loose)) {
    const start = match.index ?? 0;
    found.push([start, start + match[0].length]);
  }
  return found;
}

/** The text cut at every flagged sentence's edges; unflagged segments have no reasons. */
export function segments(text: string, flags: Flag[]): Segment[] {
  const ranges = flags.flatMap((flag) =>
    locate(text, flag.sentence).map(([start, end]) => ({ start, end, reason: flag.reason })),
  );
  if (ranges.length === 0) return text ? [{ text, reasons: [] }] : [];
  const cuts = [...new Set([0, text.length, ...ranges.flatMap((range) => [range.start, range.end])])].sort(
    (a, b) => a - b,
  );
  const out: Segment[] = [];
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const start = cuts[i] ?? 0;
    const end = cuts[i + 1] ?? text.length;
    const reasons = [
      ...new Set(ranges.filter((range) => range.start <= start && range.end >= end).map((range) => range.reason)),
    ].sort((a, b) => a - b);
    const previous = out[out.length - 1];
    if (previous && previous.reasons.join() === reasons.join()) previous.text += text.slice(start, end);
    else out.push({ text: text.slice(start, end), reasons });
  }
  return out;
}
