import { afterEach, describe, expect, it, vi } from "vitest";
import { oauthStartUrl, providerLabel, readOAuthReturn, supabasePasswordSignIn } from "./supabase";

const project = { url: "https://abcd.supabase.co", anonKey: "anon", providers: ["github"] };

describe("Supabase OAuth helpers", () => {
  it("starts at the project's authorize endpoint and comes back to the given page", () => {
    const url = new URL(oauthStartUrl(project, "github", "http://127.0.0.1:8000/signin?next=/scribe"));
    expect(url.origin + url.pathname).toBe("https://abcd.supabase.co/auth/v1/authorize");
    expect(url.searchParams.get("provider")).toBe("github");
    expect(url.searchParams.get("redirect_to")).toBe("http://127.0.0.1:8000/signin?next=/scribe");
  });

  it("reads a token or an error from the fragment, and nothing from an unrelated one", () => {
    // Without a refresh token there is nothing to refresh with: the token lasts as long as it does.
    expect(readOAuthReturn("#access_token=abc.def&expires_in=3600&token_type=bearer")).toEqual({
      token: "abc.def",
      session: null,
    });
    expect(readOAuthReturn("#error=access_denied&error_description=x")).toHaveProperty("error");
    expect(readOAuthReturn("#page-3")).toBeNull();
    expect(readOAuthReturn("")).toBeNull();
  });

  it("keeps the refresh token and expiry Supabase puts in the fragment", () => {
    const hash = "#access_token=abc.def&expires_at=1700003600&expires_in=3600&refresh_token=r1&token_type=bearer";
    expect(readOAuthReturn(hash, 1_700_000_000_000)).toEqual({
      token: "abc.def",
      session: { accessToken: "abc.def", refreshToken: "r1", expiresAt: 1_700_003_600_000, expiresIn: 3600 },
    });
    // Only expires_in: the expiry counts from when the fragment was read.
    expect(readOAuthReturn("#access_token=t&expires_in=600&refresh_token=r", 5_000)).toEqual({
      token: "t",
      session: { accessToken: "t", refreshToken: "r", expiresAt: 605_000, expiresIn: 600 },
    });
  });

  it("names providers the way people write them", () => {
    expect(providerLabel("github")).toBe("GitHub");
    expect(providerLabel("google")).toBe("Google");
    expect(providerLabel("linkedin_oidc")).toBe("LinkedIn");
    expect(providerLabel("slack_oidc")).toBe("Slack");
  });
});

describe("Supabase password sign-in", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("returns the access token with the refresh token and expiry from the password grant", async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) =>
      Response.json({ access_token: "a1", refresh_token: "r1", expires_in: 3600, expires_at: 1_700_003_600 }),
    );
    vi.stubGlobal("fetch", fetchMock);
    const signedIn = await supabasePasswordSignIn(project, "lin@example.org", "pw", () => 1_700_000_000_000);
    expect(signedIn).toEqual({
      token: "a1",
      session: { accessToken: "a1", refreshToken: "r1", expiresAt: 1_700_003_600_000, expiresIn: 3600 },
    });
    expect(fetchMock.mock.calls[0]?.[0]).toBe("https://abcd.supabase.co/auth/v1/token?grant_type=password");
  });

  it("still signs in when the project sends no refresh token", async () => {
    vi.stubGlobal("fetch", async () => Response.json({ access_token: "a1", expires_in: 3600 }));
    expect(await supabasePasswordSignIn(project, "lin@example.org", "pw")).toEqual({ token: "a1", session: null });
  });
});
