import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = "http://localhost:3000";

export default defineConfig({
  plugins: [react()],
  server: {
    // No changeOrigin: the API's CSRF check accepts Origin == Host, which the dev proxy keeps.
    proxy: { "/trpc": api, "/healthz": api, "/readyz": api },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 900 },
});
