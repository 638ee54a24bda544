/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [count] [name,name…] [last seconds]` — the
 * functions with the most self time in a V8 CPU profile (from `node --cpu-prof`, e.g.
 * `npm run bench -- --profile`), the same summed by package or source directory, and the inclusive
 * time (the function and all it calls synchronously) of the named functions; optionally only the
 * profile's last seconds (the benchmark's last phase is the portal page).
 */
import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
const count = Number(process.argv[3] ?? 30);
const inclusiveNames = (process.argv[4] ?? "").split(",").filter(Boolean);
const lastSeconds = Number(process.argv[5] ?? 0);
if (!file) {
  process.stderr.write("usage: tsx bench/profile-top.ts <file.cpuprofile> [count]\n");
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
const totalSpan = profile.timeDeltas.reduce((a, b) => a + b, 0);
const fromUs = lastSeconds > 0 ? totalSpan - lastSeconds * 1e6 : 0;
let clock = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  clock += delta;
  if (clock >= fromUs) self.set(id, (self.get(id) ?? 0) + delta);
});
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  if (url === "") return "(native/V8)";
  const p = url.replace(/^file:\/\//, "");
  const nm = p.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = p.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? p);
  }
  if (p.startsWith("node:")) return p;
  const src = p.indexOf("/src/");
  return src >= 0 ? path.dirname(p.slice(src + 1)) : path.basename(p);
}

const fnTotals = new Map<string, number>();
const groupTotals = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id);
  if (!n) continue;
  const { functionName, url, lineNumber } = n.callFrame;
  const key = `${functionName || "(anonymous)"}  ${url ? `${url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|src)\//, "$1/")}:${lineNumber + 1}` : ""}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  const g = where(url);
  groupTotals.set(g, (groupTotals.get(g) ?? 0) + us);
}

const pct = (us: number) => `${((100 * us) / totalUs).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n\nself time by function\n`);
for (const [k, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, count)) {
  process.stdout.write(`${pct(us)} ${ms(us)}  ${k}\n`);
}
process.stdout.write("\nself time by package / source directory\n");
for (const [k, us] of [...groupTotals].sort((a, b) => b[1] - a[1]).slice(0, count)) {
  process.stdout.write(`${pct(us)} ${ms(us)}  ${k}\n`);
}

if (inclusiveNames.length > 0) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Each sample counts once for every named function on its stack (once, even when recursive).
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)?.callFrame.functionName ?? "";
      if (inclusiveNames.includes(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  }
  process.stdout.write("\ninclusive time (synchronous part)\n");
  for (const name of inclusiveNames) {
    const us = inclusive.get(name) ?? 0;
    process.stdout.write(`${pct(us)} ${ms(us)}  ${name}\n`);
  }
}
