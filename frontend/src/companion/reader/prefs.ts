/**
 * The reader's display choices, kept in localStorage: how a page fits the screen, paged or vertical reading, and
 * whether the first-run hint was seen. Defaults follow the device: fit-width on a narrow portrait screen (the
 * lettering is too small at fit-page there), fit-page elsewhere.
 */

export type Fit = "page" | "width";
export type Layout = "paged" | "vertical";

const FIT_KEY = "scriptorium.reader.fit";
const LAYOUT_KEY = "scriptorium.reader.layout";
const HINT_KEY = "scriptorium.reader.hinted";

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode: the choice lasts this visit only */
  }
}

export function isPhone(): boolean {
  return !!window.matchMedia?.("(max-width: 900px) and (orientation: portrait)").matches;
}

export function savedFit(): Fit {
  const value = read(FIT_KEY);
  if (value === "page" || value === "width") return value;
  return isPhone() ? "width" : "page";
}

export function saveFit(fit: Fit): void {
  write(FIT_KEY, fit);
}

/** The saved layout, or vertical for long strips (pages over 2.5 times taller than wide, webtoon style). */
export function savedLayout(aspect: number): Layout {
  const value = read(LAYOUT_KEY);
  if (value === "paged" || value === "vertical") return value;
  return aspect < 0.4 ? "vertical" : "paged";
}

export function saveLayout(layout: Layout): void {
  write(LAYOUT_KEY, layout);
}

export function hintSeen(): boolean {
  return read(HINT_KEY) === "1";
}

export function markHintSeen(): void {
  write(HINT_KEY, "1");
}
