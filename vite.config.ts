import path from "node:path";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The browser apps: each is an HTML entry under src/web/<app>/index.html, built to dist/web/<app>/.
// The customer bundle is a JS-only entry with a stable name (assets/portal.js, served no-cache):
// the server-rendered portal pages refer to it by that address.
export default defineConfig({
  root: path.resolve("src/web"),
  base: "/",
  plugins: [preact()],
  build: {
    outDir: path.resolve("dist/web"),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: true,
    rollupOptions: {
      input: {
        admin: path.resolve("src/web/admin/index.html"),
        console: path.resolve("src/web/console/index.html"),
        portal: path.resolve("src/web/portal/main.ts"),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === "portal" ? "assets/portal.js" : "assets/[name]-[hash].js"),
      },
    },
  },
});
