import type { ComponentChildren, JSX } from "preact";
import { navigate } from "./router.js";

type AnchorProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href" | "onClick">;

/** An ordinary link that navigates inside the app; new-tab clicks keep working. */
export function Link({
  href,
  children,
  ...rest
}: AnchorProps & { href: string; children: ComponentChildren }) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
