import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard builds into the package's dist/web, which `labrun ui` and `labrun serve` serve.
// `npx vite web` runs it in development against a `labrun ui` on port 4500.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1000,
  },
  // The Host stays the dev server's (localhost:5173), so that labrun ui's Origin check sees one origin.
  server: { proxy: { "/api": { target: "http://127.0.0.1:4500", changeOrigin: false } } },
});
