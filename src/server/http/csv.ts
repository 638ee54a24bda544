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

/** A long table as a stream: the rows come in batches from `batches`, each turned into text as the client reads. */
export function sendCsvStream(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly CsvCell[])[]>,
): FastifyReply {
  async function* lines(): AsyncGenerator<string> {
    yield CSV_BOM + csvRow(header);
    for await (const batch of batches) {
      // Chunks of ~100 rows (some 20 KB): small strings die young; one string per 1,000-row batch
      // would be a large object that only a full collection frees, and the heap would grow.
      for (let i = 0; i < batch.length; i += CHUNK_ROWS) {
        let text = "";
        for (const row of batch.slice(i, i + CHUNK_ROWS)) text += csvRow(row);
        yield text;
      }
    }
  }
  return asDownload(reply, filename).send(Readable.from(lines(), { objectMode: false }));
}
