/**
 * Pure helpers for the admin page: how figures read, and the 12-week activity filled in. Kept apart from the views
 * so they are unit-tested in Node (format.test.ts). `locale` defaults to the reader's; tests pin it.
 */

import type { AdminActivity } from "./types";

export const ACTIVITY_WEEKS = 12;
const DAY_MS = 86_400_000;

export function formatCount(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

/** "1 template", "3 templates": counts in running text. `many` defaults to `one` + "s". */
export function plural(count: number, one: string, many = `${one}s`, locale?: string): string {
  return `${formatCount(count, locale)} ${count === 1 ? one : many}`;
}

/** The server sends percentages as 0–100 with two decimals; one decimal is plenty to read. */
export function formatPercent(value: number, locale?: string): string {
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)}%`;
}

/**
 * A rate out of something that may not have happened yet: with nothing to count (no finished generation, no
 * email) it is "—", not a "0%" that reads as everything failing.
 */
export function formatRate(value: number, counted: boolean, locale?: string): string {
  return counted ? formatPercent(value, locale) : "—";
}

/**
 * An average generation time. 0 means nothing was measured yet (a real generation always takes time), shown as
 * a dash rather than a misleading "0 s".
 */
export function formatDuration(seconds: number, locale?: string): string {
  if (!(seconds > 0)) return "—";
  if (seconds < 60) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(seconds)} s`;
  let minutes = Math.floor(seconds / 60);
  let rest = Math.round(seconds - minutes * 60);
  if (rest === 60) {
    minutes += 1;
    rest = 0;
  }
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const left = minutes - hours * 60;
  return left ? `${hours} h ${left} min` : `${hours} h`;
}

/** Model spend; probes cost fractions of a cent, so up to four decimals are kept. */
export function formatUsd(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
  }).format(value);
}

/** Monday (UTC) of the week holding `moment`, as `YYYY-MM-DD`: the server buckets by UTC ISO weeks too. */
export function mondayOf(moment: Date): string {
  const day = Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(day - weekday * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The activity list with the quiet weeks put back, newest first. The API lists only weeks that had an email, over
 * the last 12 weeks counted from now, so its oldest week can be a partial 13th: it is kept, never dropped.
 */
export function fillWeeks(activity: AdminActivity[], now: Date, weeks = ACTIVITY_WEEKS): AdminActivity[] {
  const byWeek = new Map(activity.map((row) => [row.week, row]));
  const start = Date.parse(`${mondayOf(now)}T00:00:00Z`);
  for (let index = 0; index < weeks; index += 1) {
    const week = new Date(start - index * 7 * DAY_MS).toISOString().slice(0, 10);
    if (!byWeek.has(week)) byWeek.set(week, { week, emails_generated: 0, active_users: 0 });
  }
  return [...byWeek.values()].sort((a, b) => (a.week < b.week ? 1 : a.week > b.week ? -1 : 0));
}

/** "Mar 3" for a week starting 2025-03-03, read in UTC so the label never slips a day. */
export function weekLabel(week: string, locale?: string): string {
  const date = new Date(`${week}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return week;
  return date.toLocaleDateString(locale, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** Bar width in percent of the largest value; a non-zero value always shows a sliver. */
export function barPercent(value: number, max: number): number {
  if (!(value > 0) || !(max > 0)) return 0;
  return Math.min(100, Math.max(2, Math.round((100 * value) / max)));
}

/** "21–40 of 53" for 1-based `page`; "0 of 0" when there is nothing. */
export function pageRange(page: number, perPage: number, shown: number, total: number): string {
  if (shown <= 0) return `0 of ${total}`;
  const first = (page - 1) * perPage + 1;
  return `${first}–${first + shown - 1} of ${total}`;
}

/** A positive whole number from the address bar, or `fallback` (an edited URL must not break the page). */
export function parsePositive(raw: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === null || !/^\d+$/.test(raw.trim())) return fallback;
  const value = Number(raw);
  return value >= 1 ? Math.min(value, max) : fallback;
}

/** How to name an account in a table: its display name, else its email, else its id. */
export function personLabel(who: { display_name?: string | null; email?: string | null; id?: string }): string {
  return who.display_name?.trim() || who.email || who.id || "Unknown user";
}
