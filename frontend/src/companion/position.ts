/**
 * Where the reader is: in a two-page spread the cursor is the right-hand page, the furthest one on screen. The
 * server is told the left page with `spread` (the original companion's meaning) and counts the right one as
 * reached; what it gates on is the furthest page reached, which going back never lowers.
 */

export function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The cursor for showing page `n`: itself, or the right-hand page of its spread (spreads are 1-2, 3-4, ...). */
export function cursorFor(n: number, count: number, spread: boolean): number {
  const page = clamp(n, 1, Math.max(count, 1));
  return spread ? Math.min(page % 2 === 1 ? page + 1 : page, count) : page;
}

/** The left-hand page shown with `cursor` in a spread (the cursor itself when it stands alone). */
export function leftPage(cursor: number, spread: boolean): number {
  return spread && cursor % 2 === 0 ? cursor - 1 : cursor;
}
