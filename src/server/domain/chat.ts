import { LIMITS } from "../../shared/model.js";
import { fieldError } from "./errors.js";

/** A chat message's text: not blank, at most LIMITS.chatMessage characters (BEHAVIOUR.md §10). */
export function checkMessageBody(body: string): string {
  const text = body.trim();
  if (text === "") throw fieldError(400, "body", "required", "Type a message first.");
  if (body.length > LIMITS.chatMessage) {
    throw fieldError(
      400,
      "body",
      "too_long",
      `A message can have at most ${LIMITS.chatMessage} characters; this one has ${body.length}.`,
      { limit: LIMITS.chatMessage },
    );
  }
  return body;
}
