import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import {
  accountFromForm,
  applyPreset,
  domainOf,
  emptyForm,
  fieldProblem,
  formProblems,
  mailBadge,
  mergeMail,
  problemWords,
  runProgress,
  runSummary,
  stateBadge,
} from "./logic";
import type { MailRun, Preset, RunItem } from "./types";

const GMAIL: Preset = {
  key: "gmail",
  label: "Gmail",
  imap: { host: "imap.gmail.com", port: 993, tls: "ssl" },
  smtp: { host: "smtp.gmail.com", port: 587, tls: "starttls" },
  help_url: "https://support.google.com/accounts/answer/185833",
};

function item(state: string, reason: string | null = null): RunItem {
  return { email_id: `e-${state}-${Math.random()}`, recipient_name: "Ada", to_address: "ada@example.edu", subject: "Hi", state, reason };
}

function run(over: Partial<MailRun>): MailRun {
  return {
    id: "r1", account_id: "a1", batch_id: null, kind: "send", dry_run: false, status: "running", words: null,
    limit: null, total: 0, counts: {}, items: [], created_at: "2026-12-07T10:00:00Z", finished_at: null,
    next_attempt_at: null, ...over,
  };
}

describe("badges", () => {
  it("names each delivery state, with failures and bounces as dangers", () => {
    expect(stateBadge("drafted")).toEqual({ label: "In Drafts", tone: "info" });
    expect(stateBadge("sent").tone).toBe("ok");
    expect(stateBadge("failed").tone).toBe("danger");
    expect(stateBadge("bounced").tone).toBe("danger");
    expect(stateBadge("uncertain").label).toBe("Not sure it was sent");
    expect(stateBadge("archived").label).toBe("Archived"); // unknown states are shown, not hidden
  });

  it("shows a reply before a bounce before the delivery state, and nothing when nothing happened", () => {
    expect(mailBadge({ state: "sent", replied_at: "2026-12-07T10:00:00Z" })?.label).toBe("Replied");
    expect(mailBadge({ state: "sent", bounced_at: "2026-12-07T10:00:00Z" })?.label).toBe("Bounced");
    expect(mailBadge({ drafted_at: "2026-12-07T10:00:00Z" })?.label).toBe("In Drafts");
    expect(mailBadge({ sent_at: "2026-12-07T10:00:00Z", drafted_at: "2026-12-06T10:00:00Z" })?.label).toBe("Sent");
    expect(mailBadge({})).toBeNull();
    expect(mailBadge(undefined)).toBeNull();
  });
});

describe("mail state of an email", () => {
  it("takes the later states' facts over the email's own, and keeps the email's approval", () => {
    const own = { state: null, drafted_at: null, sent_at: null, approved: true };
    const later = { state: "drafted", drafted_at: "2026-12-07T10:00:00Z", sent_at: null, approved: false };
    expect(mergeMail(own, later)).toEqual({
      state: "drafted", drafted_at: "2026-12-07T10:00:00Z", sent_at: null, approved: true,
    });
    expect(mergeMail({ state: "sent", sent_at: "2026-12-07T10:00:00Z" }, undefined)?.state).toBe("sent");
    expect(mergeMail(null, undefined)).toBeNull();
  });
});

describe("run progress", () => {
  it("counts finished messages against the run's limit when it is lower than the total", () => {
    const progress = runProgress(run({ limit: 2, items: [item("sent"), item("queued"), item("queued")] }));
    expect(progress).toEqual({ done: 1, total: 2, percent: 50 });
  });

  it("is full once the run is over, even when some messages failed", () => {
    const over = run({ status: "done", items: [item("sent"), item("failed", "550 no such user")] });
    expect(runProgress(over).percent).toBe(100);
    expect(runSummary(over)).toBe("1 of 2 emails sent · 1 failed");
  });

  it("says a drafts run in its own words and a pause as a wait", () => {
    expect(runSummary(run({ kind: "draft", status: "done", items: [item("drafted")] }))).toBe("1 of 1 email put in Drafts");
    expect(runSummary(run({ status: "paused", items: [item("sent"), item("queued")] }))).toBe(
      "1 of 2 done · paused while the mail server asks us to wait",
    );
  });
});

describe("account form", () => {
  it("fills a provider's servers and keeps what the user typed", () => {
    const form = applyPreset({ ...emptyForm(), address: "me@gmail.com", label: "Mine" }, GMAIL);
    expect(form).toMatchObject({
      preset: "gmail", label: "Mine", imap_host: "imap.gmail.com", imap_port: "993", smtp_port: "587", smtp_tls: "starttls",
    });
    expect(applyPreset(emptyForm(), GMAIL).label).toBe("Gmail");
    // Choosing another provider (or Other) replaces a label that was only the previous provider's name.
    const other = applyPreset(applyPreset(emptyForm(), GMAIL), undefined, GMAIL);
    expect(other).toMatchObject({ preset: "", label: "", imap_host: "imap.gmail.com" });
  });

  it("says what is missing in words", () => {
    expect(formProblems(emptyForm())).toEqual([
      "Enter the email address you send from.",
      "Enter the app password your provider gave you.",
      "Enter the IMAP server (or choose your provider above).",
      "Enter the SMTP server (or choose your provider above).",
    ]);
    const bad = { ...applyPreset(emptyForm(), GMAIL), address: "me@gmail.com", password: "x", smtp_port: "99999" };
    expect(formProblems(bad)).toEqual(["The SMTP port is a whole number from 1 to 65535."]);
    const pasted = { ...bad, smtp_port: "587", imap_host: "https://imap.gmail.com" };
    expect(formProblems(pasted)).toEqual(['The IMAP server is a name like imap.example.com, without spaces or "://".']);
  });

  it("sends the address as both user names when none is given", () => {
    const form = { ...applyPreset(emptyForm(), GMAIL), address: " me@gmail.com ", password: "app pass", dkim_selector: " " };
    const account = accountFromForm(form);
    expect(account.imap).toEqual({ host: "imap.gmail.com", port: 993, tls: "ssl", username: "me@gmail.com" });
    expect(account.smtp.username).toBe("me@gmail.com");
    expect(account.dkim_selector).toBeNull();
    expect(account.password).toBe("app pass");
  });

  it("names a field the server refused as the form does, never by its path or a regex", () => {
    expect(fieldProblem("imap.host", "String should match pattern '^[A-Za-z0-9._:\\-\\[\\]]+$'")).toBe(
      "IMAP server: has characters it cannot have",
    );
    expect(fieldProblem("display_name", "Must be a single line")).toBe("Your name: must be a single line");
    expect(fieldProblem("something.else", "Too long")).toBe("A value: too long");
  });

  it("reads the domain of an address", () => {
    expect(domainOf("Me@Uni.Example.EDU")).toBe("uni.example.edu");
    expect(domainOf("nobody")).toBe("");
  });
});

describe("refusals in words", () => {
  it("adds the next step to the server's sentence for known refusals", () => {
    const refused = new ApiError("Sending is turned off for this account.", { status: 409, code: "sending_disabled" });
    expect(problemWords(refused, "x")).toBe(
      "Sending is turned off for this account. Turn on sending for this account in the Mail tab.",
    );
    const other = new ApiError("Not found.", { status: 404, code: "not_found" });
    expect(problemWords(other, "x")).toBe("Not found.");
    expect(problemWords("boom", "Could not send.")).toBe("Could not send.");
  });
});
