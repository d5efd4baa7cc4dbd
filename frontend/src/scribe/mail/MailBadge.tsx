/** Per-email mail state as a badge (drafted, sent, failed with its reason, bounced, replied). */

import { mailBadge, stateBadge, type Badge } from "./logic";
import type { DeliveryState, EmailMail } from "./types";

function Shown({ badge, reason }: { badge: Badge; reason?: string | null }) {
  return (
    <span className="mail-badge">
      <span className={`badge badge-${badge.tone}`} data-testid="mail-state">{badge.label}</span>
      {reason && <span className="small muted mail-reason">{reason}</span>}
    </span>
  );
}

/** One delivery's state; why it failed, bounced or was skipped is written next to it. */
export function StateBadge({ state, reason }: { state: DeliveryState; reason?: string | null }) {
  const badge = stateBadge(state);
  return <Shown badge={badge} reason={badge.tone === "info" || badge.tone === "ok" ? null : reason} />;
}

/** What happened to an email's mail so far; nothing when nothing has. */
export function EmailMailBadge({ mail }: { mail: EmailMail | null | undefined }) {
  const badge = mailBadge(mail);
  if (!badge) return null;
  return <Shown badge={badge} reason={badge.tone === "danger" || badge.tone === "warn" ? mail?.reason : null} />;
}
