import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** A confirmation carried over to the next page ("Portal created."), shown once. */
export const flash = signal<string | null>(null);

export function Flash() {
  const text = flash.value;
  useEffect(() => {
    if (!text) return;
    const timer = setTimeout(() => {
      flash.value = null;
    }, 6000);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <div role="status" class={text ? "flash" : "flash empty"}>
      {text}
    </div>
  );
}
