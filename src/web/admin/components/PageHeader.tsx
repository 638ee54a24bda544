import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../../common/i18n.js";
import { navigations } from "../router.js";

/** The page's h1 (which takes focus after in-app navigation), the document title, and page actions. */
export function PageHeader(props: {
  title: string;
  intro?: ComponentChildren;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · ${t("admin.title")}`;
  });
  useEffect(() => {
    if (navigations.peek() > 0) ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div class="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1}>
          {props.title}
        </h1>
        {props.intro ? <p class="intro">{props.intro}</p> : null}
      </div>
      {props.children ? <div class="page-actions">{props.children}</div> : null}
    </div>
  );
}
