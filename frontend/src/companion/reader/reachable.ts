/**
 * Which failures mean "the server is not there right now" (hold the turn and try again) rather than "the server
 * said no" (show its reason). A request that got no answer, a gateway that could not reach the app, or the app
 * saying it is overloaded or unavailable, are all worth retrying; a 4xx is an answer and is not.
 */

import { ApiError } from "../../api/client";

export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return error instanceof TypeError;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

/** Waits between retries: 1 s, 2 s, 4 s, then every 8 s. */
export function retryDelay(attempt: number): number {
  return Math.min(8000, 1000 * 2 ** Math.max(0, attempt));
}
