/** A chat message's text in pieces: plain text, and web links that may be made clickable. */
export interface TextPiece {
  text: string;
  href?: string;
}

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Splits a message into text and http(s) links. Everything else stays plain text; callers put
 * each piece in the page as text (never as HTML), and only `href`s from here become links.
 */
export function splitLinks(body: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let last = 0;
  for (const match of body.matchAll(LINK)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const url = raw.replace(TRAILING, "");
    if (start > last) pieces.push({ text: body.slice(last, start) });
    pieces.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < body.length) pieces.push({ text: body.slice(last) });
  return pieces;
}
