import { describe, expect, it } from "vitest";
import type { PageView } from "../types";
import { expiresAt, keepLinks, MARGIN_SECONDS, stableLink } from "./links";

const link = (key: string, exp: number) => `/api/media/${key}?exp=${exp}&sig=s${exp}`;

describe("stableLink", () => {
  it("keeps the held link for the same image while it has time left", () => {
    expect(stableLink(link("a.png", 1000), link("a.png", 1150), 900)).toBe(link("a.png", 1000));
  });
  it("takes the fresh link when the held one is about to expire", () => {
    expect(stableLink(link("a.png", 1000), link("a.png", 1150), 1000 - MARGIN_SECONDS)).toBe(link("a.png", 1150));
  });
  it("takes the fresh link for another image, or when there was none", () => {
    expect(stableLink(link("a.png", 1000), link("b.png", 1150), 900)).toBe(link("b.png", 1150));
    expect(stableLink(null, link("b.png", 1150), 900)).toBe(link("b.png", 1150));
  });
  it("drops a link the server no longer sends", () => {
    expect(stableLink(link("a.png", 1000), null, 900)).toBeNull();
  });
  it("reads the expiry of signed links only", () => {
    expect(expiresAt(link("a.png", 1234))).toBe(1234);
    expect(expiresAt("/api/media/a.png?session_id=abc")).toBeNull();
    expect(stableLink("/api/media/a.png?session_id=x", "/api/media/a.png?session_id=y", 0)).toBe(
      "/api/media/a.png?session_id=y",
    );
  });
});

describe("keepLinks", () => {
  const page = (image: string | null): PageView => ({
    id: "p",
    page_number: 1,
    global_index: 0,
    visible: image !== null,
    image_url: image,
    thumbnail_url: image,
    image_metadata: {},
    characters: [],
  });
  it("returns the held links on the fresh page", () => {
    const kept = keepLinks(page(link("a.png", 1000)), page(link("a.png", 1150)), 900);
    expect(kept.image_url).toBe(link("a.png", 1000));
    expect(kept.thumbnail_url).toBe(link("a.png", 1000));
  });
  it("is the fresh page when nothing was held", () => {
    const fresh = page(link("a.png", 1150));
    expect(keepLinks(undefined, fresh, 900)).toBe(fresh);
  });
});
