import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { isUnreachable, retryDelay } from "./reachable";

const error = (status: number) => new ApiError("x", { status, code: "x" });

describe("isUnreachable", () => {
  it("retries when no answer came or the server is away", () => {
    for (const status of [0, 408, 429, 500, 502, 503, 504]) expect(isUnreachable(error(status))).toBe(true);
    expect(isUnreachable(new TypeError("Failed to fetch"))).toBe(true);
  });
  it("does not retry an answer that says no", () => {
    for (const status of [400, 401, 403, 404, 422]) expect(isUnreachable(error(status))).toBe(false);
    expect(isUnreachable(new Error("bug"))).toBe(false);
  });
});

describe("retryDelay", () => {
  it("backs off and levels out", () => {
    expect([0, 1, 2, 3, 4, 9].map(retryDelay)).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });
});
