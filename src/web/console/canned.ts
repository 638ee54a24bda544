import { signal } from "@preact/signals";
import type { CannedInput, CannedResponse } from "../../shared/canned.js";
import { ApiFailure, apiRequest } from "../common/api.js";
import { ct } from "./cannedTexts.js";
import { errorText } from "./errors.js";

/**
 * The canned responses this agent may use: the account's and their own. Read afresh every time
 * the picker opens (the list shown meanwhile is the last one read), and after every change in the
 * personal manager — so a change made in /admin or in another tab shows at the next `/`, without
 * a reload and without a socket message of its own.
 */

const seg = encodeURIComponent;

export const cannedApi = {
  usable: (sessionId: string | null) =>
    apiRequest<CannedResponse[]>(
      "GET",
      `/console/canned-responses${sessionId ? `?sessionId=${seg(sessionId)}` : ""}`,
    ),
  create: (body: CannedInput) => apiRequest<CannedResponse>("POST", "/console/canned-responses", body),
  update: (id: string, body: CannedInput) =>
    apiRequest<CannedResponse>("PUT", `/console/canned-responses/${seg(id)}`, body),
  remove: (id: string) => apiRequest<null>("DELETE", `/console/canned-responses/${seg(id)}`),
};

export interface CannedCache {
  /** The session the order was made for (its customer's language first); null: by title. */
  sessionId: string | null;
  items: CannedResponse[];
}

export const cannedCache = signal<CannedCache | null>(null);
export const cannedLoading = signal(false);
export const cannedFailed = signal(false);

let round = 0;

/** Reads the usable list again (ordered for `sessionId`); the newest read wins. */
export async function refreshCanned(sessionId: string | null): Promise<void> {
  round += 1;
  const mine = round;
  cannedLoading.value = true;
  try {
    const items = await cannedApi.usable(sessionId);
    if (mine !== round) return;
    cannedCache.value = { sessionId, items };
    cannedFailed.value = false;
  } catch (err) {
    if (mine !== round) return;
    // A session that ended or left meanwhile: the list without its order still helps.
    if (err instanceof ApiFailure && err.status === 404 && sessionId !== null) {
      void refreshCanned(null);
      return;
    }
    cannedFailed.value = true;
  } finally {
    if (mine === round) cannedLoading.value = false;
  }
}

/** The console's wording of a refused save, per field where the server named one. */
export function cannedProblems(err: unknown): { general: string | null; fields: Record<string, string> } {
  if (!(err instanceof ApiFailure)) return { general: errorText(err), fields: {} };
  if (err.code === "too_many_canned")
    return { general: ct("errTooMany", { limit: String(err.params.limit ?? "") }), fields: {} };
  const fields: Record<string, string> = {};
  for (const [field, p] of Object.entries(err.fields)) {
    const params = p.params ?? {};
    const top = field.split(".")[0] ?? field;
    let text: string;
    if (p.code === "unknown_placeholder") text = ct("errUnknown", params);
    else if (p.code === "duplicate_shortcut") text = ct("errDuplicate", params);
    else if (p.code === "required")
      text = ct("errRequired", { field: ct(top === "title" ? "fieldNameTitle" : "fieldNameText") });
    else if (p.code === "too_long" && top === "title")
      text = ct("errTitleLong", { max: String(params.limit) });
    else if (p.code === "too_long" && top === "text") text = ct("errTextLong", { max: String(params.limit) });
    else if (p.code === "one_line") text = ct("errOneLine");
    else if (top === "shortcut") text = ct("errShortcut");
    else text = p.message;
    fields[top] = fields[top] ?? text;
  }
  if (Object.keys(fields).length === 0) return { general: errorText(err), fields: {} };
  return { general: null, fields };
}
