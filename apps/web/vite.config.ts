import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const api = "http://localhost:3000";

/**
 * main.tsx loads the dashboard (app/mount.tsx) by a dynamic import, so that the page's
 * first reads leave before it is evaluated. Vite preloads only an entry's static imports:
 * this lists the dashboard's chunk and its imports as modulepreload links too, so they
 * download beside the entry instead of after it has run.
 */
function preloadDashboard(): Plugin {
  return {
    name: "preload-dashboard",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const { bundle, chunk: entry } = ctx;
        if (!bundle || !entry) return [];
        const seen = new Set([entry.fileName, ...entry.imports]);
        const files: string[] = [];
        const visit = (name: string) => {
          const chunk = bundle[name];
          if (seen.has(name) || chunk?.type !== "chunk") return;
          seen.add(name);
          files.push(name);
          chunk.imports.forEach(visit);
        };
        for (const name of entry.dynamicImports) {
          const chunk = bundle[name];
          if (chunk?.type === "chunk" && chunk.facadeModuleId?.endsWith("/src/app/mount.tsx")) visit(name);
        }
        return files.map((f) => ({ tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `/${f}` }, injectTo: "head" }));
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), preloadDashboard()],
  server: {
    // No changeOrigin: the API's CSRF check accepts Origin == Host, which the dev proxy keeps.
    proxy: { "/trpc": api, "/healthz": api, "/readyz": api },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 900 },
});
