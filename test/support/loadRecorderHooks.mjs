// The loader-thread half of loadRecorder.mjs: appends the URL of every ES module loaded.
import fs from "node:fs";

let file = "";

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  fs.appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
