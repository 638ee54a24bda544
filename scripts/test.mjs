#!/usr/bin/env node
// `npm test`: typecheck, lint, build, then the unit, integration (SQLite + PostgreSQL) and
// end-to-end (Chromium) suites, one after the other. Ends with one line summing them all:
// "N passed, N failed, N skipped". Exits non-zero when anything failed.
// With CI=true a missing PostgreSQL, Redis or Chromium is a failure (see test/support/globalSetup.ts).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const results = path.resolve("test-results");
fs.mkdirSync(results, { recursive: true });
const only = process.argv.slice(2);
const bin = (name) => path.resolve("node_modules/.bin", name);

const tally = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function run(label, cmd, args) {
  process.stdout.write(`\n━━ ${label} ━━\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env: process.env });
  return { ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) };
}

function check(label, cmd, args) {
  if (only.length > 0 && !only.includes(label)) return;
  const { ok, seconds } = run(label, cmd, args);
  if (ok) tally.passed += 1;
  else tally.failed += 1;
  lines.push(`${label.padEnd(12)} ${ok ? "ok" : "FAILED"} (${seconds} s)`);
}

function suite(project) {
  if (only.length > 0 && !only.includes(project)) return;
  const out = path.join(results, `vitest-${project}.json`);
  fs.rmSync(out, { force: true });
  const { ok, seconds } = run(`${project} tests`, bin("vitest"), [
    "run",
    "--project",
    project,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (fs.existsSync(out)) {
    const j = JSON.parse(fs.readFileSync(out, "utf8"));
    passed = j.numPassedTests;
    failed = j.numFailedTests;
    skipped = j.numPendingTests + j.numTodoTests;
    // A file that failed to load, or a global setup that refused (CI without PostgreSQL), counts too.
    if (!ok && failed === 0) failed = Math.max(1, j.numFailedTestSuites);
  } else if (!ok) {
    failed = 1;
  }
  tally.passed += passed;
  tally.failed += failed;
  tally.skipped += skipped;
  lines.push(
    `${project.padEnd(12)} ${passed} passed, ${failed} failed, ${skipped} skipped (${seconds} s)${ok ? "" : "  FAILED"}`,
  );
}

check("typecheck", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
check("lint", bin("biome"), ["check", "."]);
check("build", bin("vite"), ["build", "--logLevel", "warn"]);
suite("unit");
suite("integration");
suite("e2e");

process.stdout.write(`\n━━ summary ━━\n${lines.join("\n")}\n`);
if (tally.skipped > 0) {
  process.stdout.write(
    `\n!!! ${tally.skipped} tests were SKIPPED (a dependency is missing; see the warnings above) !!!\n`,
  );
}
process.stdout.write(`\n${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped\n`);
process.exit(tally.failed > 0 ? 1 : 0);
