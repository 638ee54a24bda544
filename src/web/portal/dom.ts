/** Tiny DOM helpers: every text goes in as text (textContent), never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T | null {
  return root.querySelector<T>(selector);
}

export function $$<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T[] {
  return Array.from(root.querySelectorAll<T>(selector));
}

/** Replaces an element's content with text and links (a short note with an action). */
export function setNote(note: HTMLElement, text: string, link?: { href: string; label: string }): void {
  note.replaceChildren(text);
  if (link) note.append(" ", el("a", { href: link.href }, link.label));
}
