import type { FastifyReply } from "fastify";
import type { transcript } from "../queries/sessions.js";

type Transcript = Awaited<ReturnType<typeof transcript>>;

/** A transcript as a download: plain text by default, or JSON with every message and its sequence number. */
export function sendTranscript(reply: FastifyReply, t: Transcript, format: string | undefined): FastifyReply {
  const name = `helpgate-session-${t.request.sessionNumber}`;
  if (format === "json") {
    return reply
      .header("content-disposition", `attachment; filename="${name}.json"`)
      .type("application/json; charset=utf-8")
      .send(JSON.stringify({ session: t.request, messages: t.messages }, null, 2));
  }
  return reply
    .header("content-disposition", `attachment; filename="${name}.txt"`)
    .type("text/plain; charset=utf-8")
    .send(t.text);
}
