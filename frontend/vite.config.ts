// Vite config: React, a dev proxy to the FastAPI server, and a build into frontend/dist that the server serves.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` forwards API calls here; override when the server runs elsewhere (SCRIPTORIUM_DEV_API=http://host:port).
const apiTarget = process.env.SCRIPTORIUM_DEV_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: {
      "/api": { target: apiTarget, changeOrigin: false },
      "/health": { target: apiTarget, changeOrigin: false },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 400,
  },
});
