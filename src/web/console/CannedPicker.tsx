import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  type CannedResponse,
  fillPlaceholders,
  placeholderValues,
  searchCanned,
} from "../../shared/canned.js";
import { LIMITS } from "../../shared/model.js";
import type { RequestView } from "../../shared/protocol.js";
import { cannedCache, cannedFailed, cannedLoading, refreshCanned } from "./canned.js";
import { ct, languageLabel } from "./cannedTexts.js";
import { user } from "./state.js";
import "./canned.css";

/**
 * The `/` picker of the chat box: typing `/` at the start of the box or after a space opens a
 * list of the canned responses this agent may use, narrowed by what follows the `/` (shortcut,
 * title, text). Keyboard only: ArrowUp/Down move, Enter inserts, Escape closes, Tab leaves. The
 * chosen response replaces the `/query` with its text, placeholders filled from the session, for
 * editing before it is sent — it is never sent by itself.
 *
 * ARIA: the box and its list form a combobox (the wrapper carries role=combobox and
 * aria-expanded; the textarea, which keeps focus, points at the list and its active option with
 * aria-controls and aria-activedescendant); each option has role=option and aria-selected. A
 * polite live region says how many match and what was inserted.
 */

/** The `/query` the caret is in: where the `/` is, and what follows it up to the caret. */
export interface SlashTrigger {
  start: number;
  end: number;
  query: string;
}

const MAX_QUERY = 60;

/**
 * The trigger at the caret: the last `/` before it that opens the box or follows whitespace, with
 * no line break, no further `/` and no leading space after it.
 */
export function findTrigger(text: string, caret: number): SlashTrigger | null {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf("/");
  if (start < 0) return null;
  if (start > 0 && !/\s/.test(before.charAt(start - 1))) return null;
  const query = before.slice(start + 1);
  if (query.length > MAX_QUERY || /[\n\r]/.test(query) || /^\s/.test(query)) return null;
  return { start, end: caret, query };
}

let pickerCount = 0;

export interface CannedPicker {
  /** Whether the list shows (aria-expanded). */
  open: boolean;
  /** Props for the textarea. */
  inputProps: {
    "aria-autocomplete": "list";
    "aria-controls": string;
    "aria-activedescendant"?: string;
  };
  /** Call first in the textarea's keydown; true: the picker handled the key (do nothing else). */
  onKeyDown: (e: KeyboardEvent) => boolean;
  listId: string;
  /** The list (inside the combobox). */
  view: ComponentChildren;
  /** The live region (beside it). */
  live: ComponentChildren;
}

/**
 * The picker of one chat box. `text`/`setText` are the box's value; `request` is the session's,
 * whose values fill the placeholders.
 */
export function useCannedPicker(props: {
  sessionId: string;
  request: RequestView;
  text: string;
  setText: (value: string) => void;
  inputRef: RefObject<HTMLTextAreaElement>;
}): CannedPicker {
  const id = useRef("");
  if (id.current === "") {
    pickerCount += 1;
    id.current = `canned-${pickerCount}`;
  }
  const listId = `${id.current}-list`;
  const [trigger, setTrigger] = useState<SlashTrigger | null>(null);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [announcement, setAnnouncement] = useState("");
  const wasOpen = useRef(false);

  const cache = cannedCache.value;
  const items: CannedResponse[] = cache?.items ?? [];
  const engaged = trigger !== null && dismissed !== trigger.start;
  const query = trigger?.query ?? "";
  const matches = engaged ? searchCanned(items, query) : [];
  // A query with a space is ordinary text ("and /or so", "Open /Settings and click save"): no
  // list, so Enter sends what was typed and never swaps a sentence for a canned response.
  const quiet = engaged && /\s/.test(query);
  const showing = engaged && !quiet;
  const open = showing && matches.length > 0;
  const activeIndex = Math.min(active, Math.max(0, matches.length - 1));
  const activeItem = open ? matches[activeIndex] : undefined;
  const optionId = (i: number) => `${id.current}-opt-${i}`;

  const triggerRef = useRef<SlashTrigger | null>(null);
  triggerRef.current = trigger;
  /** Just inserted: the key's own keyup must not open the list again (a `/` in the inserted text). */
  const suppress = useRef(false);

  useEffect(() => {
    const el = props.inputRef.current;
    if (!el) return;
    /** Reads the caret's trigger from the box itself (after input, clicks and caret keys). */
    const track = (e?: Event) => {
      if (suppress.current && e?.type === "keyup") return;
      suppress.current = false;
      const prev = triggerRef.current;
      const next = el.selectionStart === el.selectionEnd ? findTrigger(el.value, el.selectionStart) : null;
      if (prev?.query !== next?.query || prev?.start !== next?.start) setActive(0);
      triggerRef.current = next;
      setTrigger(next);
      if (next === null) setDismissed(null);
    };
    const onBlur = () => {
      const prev = triggerRef.current;
      if (prev) setDismissed(prev.start);
    };
    const onFocus = () => {
      setDismissed(null);
      track();
    };
    el.addEventListener("input", track);
    el.addEventListener("click", track);
    el.addEventListener("keyup", track);
    el.addEventListener("blur", onBlur);
    el.addEventListener("focus", onFocus);
    return () => {
      el.removeEventListener("input", track);
      el.removeEventListener("click", track);
      el.removeEventListener("keyup", track);
      el.removeEventListener("blur", onBlur);
      el.removeEventListener("focus", onFocus);
    };
  }, []);

  // Opening reads the list afresh (a change in /admin shows at the next `/`), and opens it above
  // the box, or below it where the box sits high on the screen (a phone scrolled to the chat).
  const [below, setBelow] = useState(false);
  useEffect(() => {
    if (showing && !wasOpen.current) {
      void refreshCanned(props.sessionId);
      const rect = props.inputRef.current?.getBoundingClientRect();
      // Above it are the console's top bar (up to ~100 px on a phone) and the list's 320 px.
      if (rect) {
        const above = rect.top - 100;
        setBelow(above < 320 && window.innerHeight - rect.bottom > above);
      }
    }
    wasOpen.current = showing;
  }, [showing, props.sessionId]);

  // What a screen reader hears: how many match with the keys when the list opens, then only the
  // number as typing narrows it (no flood of instructions on every keystroke).
  const count = matches.length;
  const told = useRef(false);
  useEffect(() => {
    if (!showing) {
      told.current = false;
      return;
    }
    if (count > 0) {
      if (!told.current)
        setAnnouncement(count === 1 ? ct("pickerCountOne") : ct("pickerCount", { n: count }));
      else setAnnouncement(ct("pickerMatches", { n: count }));
      told.current = true;
    } else if (!cannedLoading.value && items.length > 0) setAnnouncement(ct("pickerNoMatch", { query }));
  }, [showing, count]);

  // Keep the active option in view.
  useEffect(() => {
    if (!open) return;
    document.getElementById(optionId(activeIndex))?.scrollIntoView({ block: "nearest" });
  }, [open, activeIndex]);

  const values = placeholderValues(props.request, user.value?.displayName ?? "");
  const insert = (r: CannedResponse) => {
    const el = props.inputRef.current;
    if (!trigger || !el) return;
    const value = props.text;
    const room = LIMITS.chatMessage - (value.length - (trigger.end - trigger.start));
    // Filled in, a text may outgrow a chat message (5,000 characters): cut to what still fits.
    const filled = fillPlaceholders(r.text, values).slice(0, Math.max(0, room));
    const next = value.slice(0, trigger.start) + filled + value.slice(trigger.end);
    const caret = trigger.start + filled.length;
    props.setText(next);
    // Closed until the agent types on: a `/` inside the inserted text opens nothing.
    suppress.current = true;
    triggerRef.current = null;
    setTrigger(null);
    setDismissed(null);
    setAnnouncement(ct("pickerInserted", { title: r.title }));
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(caret, caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent): boolean => {
    if (!showing || e.isComposing) return false;
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      if (trigger) setDismissed(trigger.start);
      return true;
    }
    if (e.key === "Tab") {
      // Leaves the box as Tab always does; the list closes.
      if (trigger) setDismissed(trigger.start);
      return true;
    }
    if (!open) {
      // The list is still loading (the first `/` after the console opened): Enter waits for it
      // instead of sending "/greet" to the customer.
      if (e.key === "Enter" && !e.shiftKey && (cache === null || cannedLoading.value)) {
        e.preventDefault();
        return true;
      }
      return false;
    }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = matches.length;
      setActive((activeIndex + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
      return true;
    }
    if (e.key === "Enter" && !e.shiftKey && activeItem) {
      e.preventDefault();
      insert(activeItem);
      return true;
    }
    return false;
  };

  const status = (() => {
    if (!showing || open) return null;
    if (cannedFailed.value && items.length === 0) return ct("pickerFailed");
    if (cache === null || (cannedLoading.value && items.length === 0)) return ct("pickerLoading");
    if (items.length === 0) return ct("pickerNone");
    return ct("pickerNoMatch", { query });
  })();
  // Loading, failed or nothing there: said to a screen reader too, not only shown.
  useEffect(() => {
    if (status) setAnnouncement(status);
  }, [status]);

  const view = (
    <div class={`canned-popup${below ? " is-below" : ""}`} hidden={!showing}>
      <div id={listId} role="listbox" class="canned-options" aria-label={ct("pickerList")} hidden={!open}>
        {matches.map((r, i) => (
          // biome-ignore lint/a11y/useFocusableInteractive: the options are reached with aria-activedescendant; focus stays in the text box (ARIA combobox pattern)
          // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard works from the text box (arrows, Enter); the click is the mouse's way
          <div
            key={r.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === activeIndex}
            class={i === activeIndex ? "canned-option is-active" : "canned-option"}
            onMouseDown={(e) => e.preventDefault()}
            onMouseMove={() => i !== activeIndex && setActive(i)}
            onClick={() => insert(r)}
          >
            <span class="canned-option-head">
              <span class="canned-option-title">{r.title}</span>
              {r.shortcut ? <span class="canned-option-shortcut">/{r.shortcut}</span> : null}
              <span class={`canned-badge canned-badge-${r.scope}`}>
                {r.scope === "personal" ? ct("scopePersonal") : ct("scopeAccount")}
              </span>
              {r.language ? <span class="canned-badge">{languageLabel(r.language)}</span> : null}
            </span>
            <span class="canned-option-text">{preview(fillPlaceholders(r.text, values))}</span>
          </div>
        ))}
      </div>
      {status ? <p class="canned-status">{status}</p> : null}
      {open ? (
        <p class="canned-keys" aria-hidden="true">
          {ct("pickerKeys")}
        </p>
      ) : null}
    </div>
  );
  const live = (
    <p class="visually-hidden" role="status" aria-live="polite">
      {announcement}
    </p>
  );

  return {
    open,
    inputProps: {
      "aria-autocomplete": "list",
      "aria-controls": listId,
      ...(activeItem ? { "aria-activedescendant": optionId(activeIndex) } : {}),
    },
    onKeyDown,
    listId,
    view,
    live,
  };
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 110 ? `${flat.slice(0, 109)}…` : flat;
}

/** The box and its list as one combobox (ARIA 1.1 pattern: the textarea inside keeps its own label). */
export function CannedCombobox({ picker, children }: { picker: CannedPicker; children: ComponentChildren }) {
  return (
    <>
      {/* biome-ignore lint/a11y/useFocusableInteractive: focus goes to the text box inside (ARIA 1.1 combobox pattern; a textarea may not carry the role itself) */}
      <div
        class="canned-combo"
        role="combobox"
        aria-expanded={picker.open}
        aria-haspopup="listbox"
        aria-controls={picker.listId}
        aria-label={ct("pickerName")}
      >
        {children}
        {picker.view}
      </div>
      {picker.live}
    </>
  );
}
