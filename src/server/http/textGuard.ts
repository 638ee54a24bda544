import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError } from "../domain/errors.js";
import { findForbiddenText, forbiddenTextMessage, type TextProblem } from "../domain/text.js";

/** The 400 a forbidden character gets, naming the field: `{error:"validation", message, fields:{<field>:{…}}}`. */
export function forbiddenTextError(problem: TextProblem): DomainError {
  // The field's name stays as it is spelt (`values.question`), so the sentence is not capitalised.
  return new DomainError(400, "validation", `${forbiddenTextMessage(problem)}.`, {
    [problem.field]: {
      code: "control_character",
      message: `must not contain control characters (found ${problem.character})`,
      params: { character: problem.character },
    },
  });
}

/** The first forbidden character in what a request carries: its body (JSON or form), query and path. */
export function forbiddenTextIn(request: FastifyRequest): TextProblem | null {
  return (
    findForbiddenText(request.body) ?? findForbiddenText(request.query) ?? findForbiddenText(request.params)
  );
}

/**
 * One rule for every HTTP entry: before any route's schema or handler sees a request, a body,
 * query or path parameter with a control character is refused with a 400 naming the field (JSON
 * routes answer it as JSON, the customer pages as their problem page). Sockets check the same
 * rule in `hub/wire.ts` parseClientMessage.
 */
export function installTextGuard(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    const problem = forbiddenTextIn(request);
    if (problem) throw forbiddenTextError(problem);
  });
}
