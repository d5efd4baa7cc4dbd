/**
 * `GET /health`: the server answers 200 when every component is fine and 503 with the same report when one is
 * not. The home page wants the report in both cases, so this reads the body instead of throwing on 503.
 */

import { apiUrl } from "./client";
import { errorFromResponse, networkError } from "./errors";

export interface ComponentHealth {
  status: "ok" | "error";
  ms: number;
  error?: string;
  backend?: string;
}

export interface ProvidersHealth extends ComponentHealth {
  chat?: string;
  embeddings?: string;
  offline?: boolean;
}

export interface HealthReport {
  status: "ok" | "degraded";
  profile: string;
  failing: string[];
  components: {
    database?: ComponentHealth;
    jobs?: ComponentHealth & { consumer_in_process?: boolean };
    storage?: ComponentHealth;
    providers?: ProvidersHealth;
    [name: string]: ComponentHealth | undefined;
  };
}

function isReport(body: unknown): body is HealthReport {
  return typeof body === "object" && body !== null && "status" in body && "components" in body;
}

export async function fetchHealth(signal?: AbortSignal): Promise<HealthReport> {
  let response: Response;
  try {
    response = await fetch(apiUrl("/health"), { headers: { Accept: "application/json" }, signal, cache: "no-store" });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw networkError();
  }
  if (response.ok || response.status === 503) {
    const body: unknown = await response.json().catch(() => null);
    if (isReport(body)) return body;
  }
  throw await errorFromResponse(response);
}
