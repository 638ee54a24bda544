import fs from "node:fs";
import path from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

/**
 * The shape the code keeps (README, Architecture): commands are use cases that never import each
 * other; "when X, also Y" lives in reactions; no import cycle anywhere in the server; permissions
 * are asked of the policy module. This test fails the build when one of those slips.
 */

const root = path.resolve(import.meta.dirname, "../..");
const server = path.join(root, "src/server");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) ? [full] : [];
  });
}

/** Every module a file imports (static `from`, side-effect `import "…"`, dynamic `import("…")`), resolved to a path. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/\bfrom\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] ?? "");
  return specs
    .filter((s) => s.startsWith("."))
    .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, ".ts"));
}

const rel = (p: string) => path.relative(root, p);

describe("architecture", () => {
  const commandsDir = path.join(server, "commands");
  // Shared helpers of the commands: their types, the lookups with the policy's verdict, token hashing.
  const shared = new Set(["context.ts", "access.ts", "auth.ts"].map((f) => path.join(commandsDir, f)));

  it("no command imports another command (only context, access and auth)", () => {
    const offending: string[] = [];
    for (const file of sourceFiles(commandsDir)) {
      for (const target of importsOf(file)) {
        if (path.dirname(target) === commandsDir && !shared.has(target) && target !== file) {
          offending.push(`${rel(file)} → ${rel(target)}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("shared command helpers import no use case either", () => {
    const offending: string[] = [];
    for (const file of shared) {
      for (const target of importsOf(file)) {
        if (path.dirname(target) === commandsDir && !shared.has(target))
          offending.push(`${rel(file)} → ${rel(target)}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("nothing below the commands imports a use case: store, domain, queries, reactions, bus, db", () => {
    const below = ["store", "domain", "queries", "reactions", "events", "bus", "db"].map((d) =>
      path.join(server, d),
    );
    const offending: string[] = [];
    for (const dir of below) {
      for (const file of sourceFiles(dir)) {
        for (const target of importsOf(file)) {
          if (path.dirname(target) === commandsDir && !shared.has(target))
            offending.push(`${rel(file)} → ${rel(target)}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("domain rules do no I/O: no store, db, bus or node: imports", () => {
    const offending: string[] = [];
    for (const file of sourceFiles(path.join(server, "domain"))) {
      const text = fs.readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bfrom\s+["']([^"']+)["']/g)) {
        const spec = m[1] ?? "";
        if (
          /\/(store|db|bus|hub|http|commands|queries|reactions)\//.test(spec) ||
          /^node:(fs|net|http)/.test(spec)
        ) {
          offending.push(`${rel(file)} → ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("every permission is asked of the policy module (no role or assignment checks elsewhere)", () => {
    // A role compared by hand, or a portal/agent list searched for the actor, outside src/server/policy.ts.
    const permissionShapes = [
      /\.role\s*[!=]==\s*["'](operator|admin|manager|agent)["']/,
      /\b(portalIds|agentIds)\.includes\(/,
    ];
    const allowed = new Map([
      // The last-admin rule compares roles of the user being changed, not of the actor.
      [path.join(commandsDir, "users.ts"), /current\.role === "admin"|next\.role !== "admin"/],
    ]);
    const offending: string[] = [];
    for (const file of sourceFiles(server)) {
      if (file === path.join(server, "policy.ts")) continue;
      fs.readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (!permissionShapes.some((re) => re.test(line))) return;
          if (allowed.get(file)?.test(line)) return;
          offending.push(`${rel(file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offending).toEqual([]);
  });

  it("madge finds no import cycle in src/server", async () => {
    const graph = await madge(server, {
      fileExtensions: ["ts", "tsx"],
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    expect(graph.circular()).toEqual([]);
    // And it did read the tree (a wrong path would find no cycle in nothing).
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(80);
  }, 60_000);
});
