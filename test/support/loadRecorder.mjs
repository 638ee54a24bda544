// Preloaded with NODE_OPTIONS=--import=<this file> and HELPGATE_TEST_LOADED_MODULES=<file>: writes
// every module the process loaded into that file, one per line — ES modules as the loader loads
// them (a hook in the loader thread) and, at exit, every CommonJS module in require's cache.
import fs from "node:fs";
import { createRequire, register } from "node:module";

const file = process.env.HELPGATE_TEST_LOADED_MODULES;
if (file) {
  fs.writeFileSync(file, "");
  register("./loadRecorderHooks.mjs", import.meta.url, { data: { file } });
  process.on("exit", () => {
    const cache = createRequire(import.meta.url).cache;
    fs.appendFileSync(file, `${Object.keys(cache).join("\n")}\n`);
  });
}
