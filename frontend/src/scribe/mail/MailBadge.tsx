/** Per-email mail state as a badge (drafted, sent, failed with its reason, bounced, replied). */

import { mailBadge, stateBadge, type Badge } from "./logic";
import type { DeliveryState, EmailMail } from "./types";

function Shown({ badge, reason, testId }: { badge: Badge; reason?: string | null; testId: string }) {
  return (
    <span className="mail-badge">
      <span className={`badge badge-${badge.tone}`} data-testid={testId}>{badge.label}</span>
      {reason && <span className="small muted mail-reason">{reason}</span>}
    </span>
  );
}

/** One delivery's state; why it failed, bounced or was skipped is written next to it. */
export function StateBadge({ state, reason }: { state: DeliveryState; reason?: string | null }) {
  const badge = stateBadge(state);
  const shownReason = badge.tone === "info" || badge.tone === "ok" ? null : reason;
  return <Shown badge={badge} reason={shownReason} testId="mail-item-state" />;
}

/** What happened to an email's mail so far; nothing when nothing has. */
export function EmailMailBadge({ mail }: { mail: EmailMail | null | undefined }) {
  const badge = mailBadge(mail);
  if (!badge) return null;
  const reason = badge.tone === "danger" || badge.tone === "warn" ? mail?.reason : null;
  return <Shown badge={badge} reason={reason} testId="mail-state" />;
}
