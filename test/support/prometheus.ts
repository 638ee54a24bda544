/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape, with lookups by name and labels. */
export class Scrape {
  constructor(
    readonly samples: Sample[],
    /** `# TYPE` lines: metric family name → counter, gauge, histogram … */
    readonly types: Map<string, string>,
  ) {}

  /** Every sample of the name whose labels include `labels`. */
  all(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The one sample of the name with exactly these labels (throws when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    const want = Object.keys(labels).length;
    const found = this.all(name, labels).filter((s) => Object.keys(s.labels).length === want);
    if (found.length !== 1) {
      throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
    }
    return (found[0] as Sample).value;
  }

  /** The metric families (the `# TYPE` names) that start with the prefix. */
  families(prefix: string): string[] {
    return [...this.types.keys()].filter((n) => n.startsWith(prefix));
  }
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/** Parses the text format (version 0.0.4) as prom-client writes it. Throws on a line it cannot read. */
export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let read = 0;
    for (let p = pair.exec(body); p; p = pair.exec(body)) {
      labels[p[1] as string] = unescapeLabel(p[2] as string);
      read = pair.lastIndex;
    }
    if (read !== body.length) throw new Error(`labels not read: ${line}`);
    const raw = m[3] as string;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`not a value: ${line}`);
    samples.push({ name: m[1] as string, labels, value });
  }
  return new Scrape(samples, types);
}
