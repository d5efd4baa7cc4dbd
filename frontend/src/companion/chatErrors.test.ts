import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../api/errors";

/** The chat route refuses with its status code and an event stream holding one `error` frame. */
function refusal(status: number, data: object, headers: Record<string, string> = {}): Response {
  const body = `event: error\r\ndata: ${JSON.stringify(data)}\r\n\r\n`;
  return new Response(body, { status, headers: { "Content-Type": "text/event-stream; charset=utf-8", ...headers } });
}

describe("errorFromResponse on the chat route's event-stream refusals", () => {
  it("reads the message, code and field from the error frame", async () => {
    const error = await errorFromResponse(
      refusal(422, {
        code: "validation_error",
        message: "message is 51 characters; the limit is 50",
        detail: "message is 51 characters; the limit is 50",
        field: "message",
      }),
    );
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_error");
    expect(error.message).toContain("the limit is 50");
    expect(error.fieldErrors.map((f) => f.field)).toEqual(["message"]);
  });

  it("keeps Retry-After on a 429", async () => {
    const error = await errorFromResponse(
      refusal(
        429,
        { code: "rate_limited", message: "too many questions", detail: "too many questions" },
        { "Retry-After": "42" },
      ),
    );
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBe(42);
    expect(error.message).toContain("retry in 42 s");
  });
});
