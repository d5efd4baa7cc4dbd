import { describe, expect, it } from "vitest";
import { cleanMessage, errorFromResponse, fieldLabel } from "./errors";

describe("fieldLabel names a field as the UI does", () => {
  it("turns a row path into the row number and the column's name", () => {
    expect(fieldLabel("items.0.recipient_email")).toBe("Row 1, Email");
    expect(fieldLabel("items.11.recipient_name")).toBe("Row 12, Name");
    expect(fieldLabel("body.items.2.profile_urls.1")).toBe("Row 3, Profile URL");
  });

  it("names top-level fields, and humanizes ones it does not know", () => {
    expect(fieldLabel("email_template")).toBe("Template");
    expect(fieldLabel("sender_affiliation")).toBe("Sender affiliation");
    expect(fieldLabel("")).toBe("");
  });
});

describe("cleanMessage", () => {
  it("drops pydantic's prefix and starts with a capital", () => {
    expect(cleanMessage("Value error, not a valid email address")).toBe("Not a valid email address");
    expect(cleanMessage("String should have at most 320 characters")).toBe("String should have at most 320 characters");
  });
});

describe("a 422 from the API reads without field paths", () => {
  it("summarizes with the UI's names and keeps the path for highlighting", async () => {
    const body = {
      code: "validation_error",
      detail: [
        { loc: ["body", "items", 0, "recipient_email"], field: "items.0.recipient_email", msg: "Value error, not a valid email address", type: "value_error" },
      ],
    };
    const error = await errorFromResponse(new Response(JSON.stringify(body), { status: 422, headers: { "Content-Type": "application/json" } }));
    expect(error.message).toBe("Row 1, Email: Not a valid email address");
    expect(error.message).not.toMatch(/items\.|recipient_|Value error/);
    expect(error.fieldErrors[0]?.field).toBe("items.0.recipient_email");
  });
});
