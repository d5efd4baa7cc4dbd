/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Absolute API origin for split deployments (e.g. Cloudflare Pages + a tunnel); empty means same origin. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
