import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";

/** CSV downloads (RFC 4180): UTF-8 with a BOM, CRLF rows, quoted cells, and no formula injection. */

export type CsvCell = string | number | boolean | null | undefined;

export const CSV_BOM = "\uFEFF";
const NEEDS_QUOTES = /[",\r\n]/;
// A spreadsheet reads a cell starting with one of these as a formula (CSV injection): prefix a '.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: readonly CsvCell[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** A whole (small) table: BOM, header, rows. */
export function csvTable(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return CSV_BOM + csvRow(header) + rows.map(csvRow).join("");
}

function asDownload(reply: FastifyReply, filename: string): FastifyReply {
  return reply
    .header("content-disposition", `attachment; filename="${filename}"`)
    .type("text/csv; charset=utf-8");
}

export function sendCsv(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  rows: readonly (readonly CsvCell[])[],
): FastifyReply {
  return asDownload(reply, filename).send(csvTable(header, rows));
}

const CHUNK_ROWS = 100;

/**
 * A long table as a stream: the rows come in batches from `batches`, each turned into cells and
 * text at once by a plain async function, so no batch stays alive while the socket drains (one
 * kept alive that long would be promoted to the old generation, and the heap would grow with the
 * download); the text goes out in chunks of ~100 rows (some 20 KB), small strings that die young.
 */
export function sendCsvStream<T>(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  batches: AsyncIterable<readonly T[]>,
  cellsOf: (row: T) => readonly CsvCell[],
): FastifyReply {
  const source = batches[Symbol.asyncIterator]();
  async function nextChunks(): Promise<string[] | null> {
    const r = await source.next();
    if (r.done) return null;
    const batch = r.value;
    const chunks: string[] = [];
    for (let i = 0; i < batch.length; i += CHUNK_ROWS) {
      let text = "";
      for (let j = i; j < Math.min(i + CHUNK_ROWS, batch.length); j++) {
        const row = batch[j];
        if (row !== undefined) text += csvRow(cellsOf(row));
      }
      chunks.push(text);
    }
    return chunks;
  }
  async function* lines(): AsyncGenerator<string> {
    yield CSV_BOM + csvRow(header);
    for (;;) {
      const chunks = await nextChunks();
      if (chunks === null) return;
      yield* chunks;
    }
  }
  return asDownload(reply, filename).send(Readable.from(lines(), { objectMode: false }));
}
