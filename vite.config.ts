import path from "node:path";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The browser apps: each is an HTML entry under src/web/<app>/index.html, built to dist/web/<app>/.
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
      },
    },
  },
});
