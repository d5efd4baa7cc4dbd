/**
 * Whether to offer the Admin link. Only a hint for the navigation: the server decides (403 for non-admins), and
 * /admin shows "Admins only" from that answer. In mode "none" the single local user is the admin (`/api/auth/me`
 * says `role: "admin"` there), so the link is always shown; otherwise the signed-in account's role decides.
 */

import type { AuthState } from "../auth/context";

export function isAdmin(auth: Pick<AuthState, "status" | "mode" | "user">): boolean {
  if (auth.status !== "ready") return false;
  if (auth.mode === "none") return true;
  return auth.user?.role === "admin";
}
