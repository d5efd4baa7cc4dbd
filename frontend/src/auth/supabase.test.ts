import { describe, expect, it } from "vitest";
import { oauthStartUrl, providerLabel, readOAuthReturn } from "./supabase";

const project = { url: "https://abcd.supabase.co", anonKey: "anon", providers: ["github"] };

describe("Supabase OAuth helpers", () => {
  it("starts at the project's authorize endpoint and comes back to the given page", () => {
    const url = new URL(oauthStartUrl(project, "github", "http://127.0.0.1:8000/signin?next=/scribe"));
    expect(url.origin + url.pathname).toBe("https://abcd.supabase.co/auth/v1/authorize");
    expect(url.searchParams.get("provider")).toBe("github");
    expect(url.searchParams.get("redirect_to")).toBe("http://127.0.0.1:8000/signin?next=/scribe");
  });

  it("reads a token or an error from the fragment, and nothing from an unrelated one", () => {
    expect(readOAuthReturn("#access_token=abc.def&expires_in=3600&token_type=bearer")).toEqual({ token: "abc.def" });
    expect(readOAuthReturn("#error=access_denied&error_description=x")).toHaveProperty("error");
    expect(readOAuthReturn("#page-3")).toBeNull();
    expect(readOAuthReturn("")).toBeNull();
  });

  it("names providers the way people write them", () => {
    expect(providerLabel("github")).toBe("GitHub");
    expect(providerLabel("google")).toBe("Google");
    expect(providerLabel("linkedin_oidc")).toBe("LinkedIn");
    expect(providerLabel("slack_oidc")).toBe("Slack");
  });
});
