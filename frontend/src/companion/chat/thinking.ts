/**
 * What the chat says while an answer is on its way. The words must match what is happening: a "This page"
 * question looks at the pages read, a wiki question at the wiki, so page mode never says "Asking the wiki".
 */

import type { Mode } from "../types";

export const THINKING: Record<Mode, readonly string[]> = {
  page: ["Looking at this page…", "Leafing back through the pages you've read…", "Checking the panels…"],
  wiki: ["Asking the wiki (only the parts you've unlocked)…", "Looking it up in the wiki, up to your page…"],
};

/** One of the mode's lines, picked by `seed` (a timestamp) so it varies between questions. */
export function thinkingText(mode: Mode, seed: number): string {
  const lines = THINKING[mode];
  return lines[Math.abs(Math.trunc(seed)) % lines.length] ?? lines[0] ?? "";
}
