import { describe, expect, it } from "vitest";
import { isAdmin } from "./access";
import {
  barPercent,
  fillWeeks,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatUsd,
  mondayOf,
  pageRange,
  parsePositive,
  personLabel,
  plural,
  weekLabel,
} from "./format";

const EN = "en-US";

describe("number formats", () => {
  it("groups counts and keeps one decimal of the server's two-decimal percentages", () => {
    expect(formatCount(1234567, EN)).toBe("1,234,567");
    expect(formatPercent(66.67, EN)).toBe("66.7%");
    expect(formatPercent(100, EN)).toBe("100%");
    expect(formatPercent(0, EN)).toBe("0%");
  });

  it("puts counts in running text with the right noun", () => {
    expect(plural(1, "template", undefined, EN)).toBe("1 template");
    expect(plural(0, "template", undefined, EN)).toBe("0 templates");
    expect(plural(2500, "token", undefined, EN)).toBe("2,500 tokens");
    expect(plural(2, "day", "days", EN)).toBe("2 days");
  });

  it("reads durations in the largest sensible unit and shows a dash when nothing was measured", () => {
    expect(formatDuration(0, EN)).toBe("—");
    expect(formatDuration(Number.NaN, EN)).toBe("—");
    expect(formatDuration(4.26, EN)).toBe("4.3 s");
    expect(formatDuration(59.94, EN)).toBe("59.9 s");
    expect(formatDuration(125, EN)).toBe("2 min 5 s");
    expect(formatDuration(179.6, EN)).toBe("3 min"); // 2 min 59.6 s rounds up a whole minute, never "2 min 60 s"
    expect(formatDuration(3720, EN)).toBe("1 h 2 min");
    expect(formatDuration(7200, EN)).toBe("2 h");
  });

  it("keeps fractions of a cent for probe costs", () => {
    expect(formatUsd(0, EN)).toBe("$0.00");
    expect(formatUsd(0.0012, EN)).toBe("$0.0012");
    expect(formatUsd(1.5, EN)).toBe("$1.50");
  });
});

describe("weeks", () => {
  it("finds the UTC Monday of any day, Sunday included", () => {
    expect(mondayOf(new Date("2025-03-05T12:00:00Z"))).toBe("2025-03-03"); // Wednesday
    expect(mondayOf(new Date("2025-03-09T23:59:59Z"))).toBe("2025-03-03"); // Sunday night
    expect(mondayOf(new Date("2025-03-03T00:00:00Z"))).toBe("2025-03-03");
    expect(mondayOf(new Date("2025-01-01T08:00:00Z"))).toBe("2024-12-30"); // across the year
  });

  it("puts the quiet weeks back, newest first, and keeps the API's figures", () => {
    const now = new Date("2025-03-05T12:00:00Z");
    const weeks = fillWeeks(
      [
        { week: "2025-03-03", emails_generated: 5, active_users: 2 },
        { week: "2025-02-17", emails_generated: 1, active_users: 1 },
      ],
      now,
    );
    expect(weeks).toHaveLength(12);
    expect(weeks[0]).toEqual({ week: "2025-03-03", emails_generated: 5, active_users: 2 });
    expect(weeks[1]).toEqual({ week: "2025-02-24", emails_generated: 0, active_users: 0 });
    expect(weeks[2]).toEqual({ week: "2025-02-17", emails_generated: 1, active_users: 1 });
    expect(weeks[11]?.week).toBe("2024-12-16");
  });

  it("keeps a partial 13th week the API counted rather than dropping its emails", () => {
    const weeks = fillWeeks([{ week: "2024-12-09", emails_generated: 3, active_users: 1 }], new Date("2025-03-05T12:00:00Z"));
    expect(weeks).toHaveLength(13);
    expect(weeks.at(-1)).toEqual({ week: "2024-12-09", emails_generated: 3, active_users: 1 });
  });

  it("labels a week by its Monday in UTC", () => {
    expect(weekLabel("2025-03-03", EN)).toBe("Mar 3");
    expect(weekLabel("not a date", EN)).toBe("not a date");
  });
});

describe("bars and pages", () => {
  it("scales bars to the busiest week and never hides a non-zero week", () => {
    expect(barPercent(10, 10)).toBe(100);
    expect(barPercent(5, 10)).toBe(50);
    expect(barPercent(1, 1000)).toBe(2);
    expect(barPercent(0, 10)).toBe(0);
    expect(barPercent(0, 0)).toBe(0);
  });

  it("names the range shown on a page", () => {
    expect(pageRange(1, 20, 20, 53)).toBe("1–20 of 53");
    expect(pageRange(3, 20, 13, 53)).toBe("41–53 of 53");
    expect(pageRange(1, 20, 0, 0)).toBe("0 of 0");
  });

  it("reads page numbers from the address bar without trusting them", () => {
    expect(parsePositive("3", 1)).toBe(3);
    expect(parsePositive(null, 1)).toBe(1);
    expect(parsePositive("0", 1)).toBe(1);
    expect(parsePositive("-2", 1)).toBe(1);
    expect(parsePositive("2.5", 1)).toBe(1);
    expect(parsePositive("abc", 10)).toBe(10);
    expect(parsePositive("500", 10, 100)).toBe(100);
  });
});

describe("people and access", () => {
  it("names an account by display name, then email, then id", () => {
    expect(personLabel({ display_name: "Ada", email: "ada@example.org", id: "u1" })).toBe("Ada");
    expect(personLabel({ display_name: "  ", email: "ada@example.org", id: "u1" })).toBe("ada@example.org");
    expect(personLabel({ display_name: "", email: null, id: "u1" })).toBe("u1");
  });

  it("offers the Admin link to admins and to the local user of a server without accounts", () => {
    const admin = { id: "a", role: "admin" };
    expect(isAdmin({ status: "ready", mode: "none", user: null })).toBe(true);
    expect(isAdmin({ status: "ready", mode: "local", user: admin })).toBe(true);
    expect(isAdmin({ status: "ready", mode: "supabase", user: admin })).toBe(true);
    expect(isAdmin({ status: "ready", mode: "local", user: { id: "b", role: "user" } })).toBe(false);
    expect(isAdmin({ status: "ready", mode: "local", user: null })).toBe(false);
    expect(isAdmin({ status: "loading", mode: "none", user: null })).toBe(false);
  });
});

describe("formatRate", () => {
  it("shows a dash when nothing was counted, and the percentage otherwise (0% included)", () => {
    expect(formatRate(0, false, EN)).toBe("—");
    expect(formatRate(0, true, EN)).toBe("0%");
    expect(formatRate(66.67, true, EN)).toBe("66.7%");
  });
});
