/**
 * Where the sentences behind each review reason sit in a draft, as plain segments a component can render.
 *
 * A check names its offending sentences verbatim (`checks[].sentences`), but a sentence splitter may have
 * normalized the whitespace around a line break, so a sentence is found exactly first and then with any run of
 * whitespace matching any other. Overlapping sentences of different reasons split into segments that each carry
 * every reason covering them, so each piece of text says all of its reasons.
 */

import type { Check } from "./types";

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

export interface Reason {
  text: string;
  flagged: boolean;
}

/**
 * The reasons in words, numbered, plus where each flagged sentence points. A failed check's message is one of the
 * email's review reasons; a check whose message is not among them (older rows) is added, so no mark is orphaned.
 */
export function reasonsAndFlags(
  reviewReasons: string[],
  checks: Check[],
  labels: Record<string, string> = {},
): { reasons: Reason[]; flags: Flag[] } {
  const reasons: Reason[] = reviewReasons.map((text) => ({ text, flagged: false }));
  const flags: Flag[] = [];
  for (const check of checks) {
    const sentences = (check.sentences ?? []).filter((sentence) => sentence.trim());
    if (check.passed || sentences.length === 0) continue;
    let index = reasons.findIndex((reason) => reason.text === check.detail);
    if (index === -1) {
      reasons.push({ text: check.detail || (labels[check.name] ?? check.name), flagged: true });
      index = reasons.length - 1;
    }
    reasons[index] = { ...reasons[index]!, flagged: true };
    for (const sentence of sentences) flags.push({ sentence, reason: index });
  }
  return { reasons, flags };
}
