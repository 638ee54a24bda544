import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Delivery, Integrations } from "../../../../shared/api.js";
import { Link } from "../../Link.js";
import { parseRoute, path } from "../../router.js";
import { day, tx, when } from "../../texts.js";

/** The three sections of the integrations pages, as links (each is its own URL). */
export function IntegrationTabs() {
  const page = parseRoute(path.value).page;
  const current =
    page === "deliveries" ? "deliveries" : page === "tokens" || page === "newToken" ? "tokens" : "overview";
  const tabs = [
    { key: "overview", href: "/admin/integrations", label: tx("ig.tab.overview") },
    { key: "deliveries", href: "/admin/integrations/deliveries", label: tx("ig.tab.deliveries") },
    { key: "tokens", href: "/admin/integrations/tokens", label: tx("ig.tab.tokens") },
  ] as const;
  return (
    <nav class="subnav" aria-label={tx("ig.tabs")}>
      <ul>
        {tabs.map((tab) => (
          <li key={tab.key}>
            <Link
              href={tab.href}
              class={tab.key === current ? "active" : undefined}
              aria-current={tab.key === current ? "page" : undefined}
            >
              {tab.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Whether the server sends email, and from which address; plainly how to switch it on if not. */
export function EmailStatus({ integrations }: { integrations: Integrations }) {
  const { configured, from } = integrations.email;
  return (
    <section class={`panel email-status ${configured ? "is-on" : "is-off"}`} aria-labelledby="email-title">
      <h2 id="email-title" class="panel-title">
        {tx("ig.email.title")}{" "}
        <span class={`badge ${configured ? "on" : "off"}`}>
          {configured ? tx("ig.email.badgeOn") : tx("ig.email.badgeOff")}
        </span>
      </h2>
      {configured ? (
        <p>{from ? tx("ig.email.from", { from }) : tx("ig.email.on")}</p>
      ) : (
        <>
          <p class="email-off">{tx("ig.email.off")}</p>
          <p>
            {tx("ig.email.offExample")}{" "}
            <code class="url break">smtps://user:password@mail.example.com:465</code>
          </p>
        </>
      )}
      <p class="hint">{tx("ig.email.uses")}</p>
      {integrations.allowPrivateTargets ? <p class="hint">{tx("ig.private")}</p> : null}
    </section>
  );
}

/**
 * A destructive or lasting action that asks first, in place: the button turns into the question
 * with the action and "No"; focus moves to "No" and back to the button when it is answered so.
 */
export function ConfirmAction(props: {
  id: string;
  label: string;
  /** The button's accessible name when the visible label is short ("Revoke" → "Revoke CRM"). */
  ariaLabel?: string;
  question: string;
  danger?: boolean;
  small?: boolean;
  busy?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const [returnFocus, setReturnFocus] = useState(false);
  const no = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) no.current?.focus();
    else if (returnFocus) {
      trigger.current?.focus();
      setReturnFocus(false);
    }
  }, [asking, returnFocus]);
  const size = props.small ? " small" : "";
  if (!asking) {
    return (
      <button
        ref={trigger}
        type="button"
        class={`button${size} ${props.danger ? "danger" : "secondary"}`}
        aria-label={props.ariaLabel}
        disabled={props.busy}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <fieldset class="confirm" id={props.id}>
      <legend>{props.question}</legend>
      <div class="confirm-buttons">
        <button
          type="button"
          class={`button${size} ${props.danger ? "danger" : "primary"}`}
          aria-label={props.ariaLabel}
          disabled={props.busy}
          onClick={() => {
            setAsking(false);
            props.onConfirm();
          }}
        >
          {props.label}
        </button>
        <button
          ref={no}
          type="button"
          class={`button${size} secondary`}
          onClick={() => {
            setAsking(false);
            setReturnFocus(true);
          }}
        >
          {tx("confirm.no")}
        </button>
      </div>
    </fieldset>
  );
}

/** A delivery's state as a badge; dead ones stand out. */
export function DeliveryStateBadge({ state }: { state: Delivery["state"] }) {
  const tone = state === "delivered" ? "on" : state === "dead" ? "dead" : "pending";
  return <span class={`badge ${tone}`}>{tx(`ig.deliveries.state.${state}`)}</span>;
}

/** An HTTP status or SMTP reply code, green for success. */
export function StatusCode({ status }: { status: number | null }) {
  if (status === null) return <span class="muted">—</span>;
  const ok = status >= 200 && status < 300;
  return <span class={`code-tag ${ok ? "ok" : "bad"}`}>{status}</span>;
}

export function Moment({
  ms,
  seconds,
  dateOnly,
}: {
  ms: number | null;
  seconds?: boolean;
  dateOnly?: boolean;
}) {
  if (ms === null) return <span class="muted">—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={dateOnly ? when(ms) : undefined}>
      {dateOnly ? day(ms) : when(ms, seconds)}
    </time>
  );
}

/** A section with an h2 and optional actions at its right. */
export function Section(props: {
  id: string;
  title: string;
  intro?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="ig-section" aria-labelledby={props.id}>
      <div class="section-head">
        <div>
          <h2 id={props.id} class="section-title">
            {props.title}
          </h2>
          {props.intro ? <p class="intro">{props.intro}</p> : null}
        </div>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </section>
  );
}
