// Unit tests for the non-visual parts (API client, SSE parser) in Node; pages are tested in the browser from pytest.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
    testTimeout: 10_000,
  },
});
