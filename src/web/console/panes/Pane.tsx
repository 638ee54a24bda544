import type { ComponentChildren } from "preact";

/** A titled pane of the list view; the toolbar shows or hides it. */
export function Pane(props: {
  id: string;
  title: string;
  count?: number | undefined;
  class?: string;
  children: ComponentChildren;
}) {
  const headingId = `pane-${props.id}-title`;
  return (
    <section id={`pane-${props.id}`} class={`pane ${props.class ?? ""}`} aria-labelledby={headingId}>
      <h2 id={headingId} class="pane-title">
        {props.title}
        {props.count !== undefined && <span class="count">{props.count}</span>}
      </h2>
      <div class="pane-body">{props.children}</div>
    </section>
  );
}
