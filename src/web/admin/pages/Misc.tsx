import { useEffect } from "preact/hooks";
import type { Principal } from "../../../shared/model.js";
import { t } from "../../common/i18n.js";
import { PageHeader } from "../components/PageHeader.js";
import { Link } from "../Link.js";

export function NoAccess({ role }: { role: Principal }) {
  useEffect(() => {
    document.title = t("admin.title");
  });
  return (
    <div class="card narrow">
      <h1>{t("noAccess.title")}</h1>
      <p>{t("admin.noAccess", { role: t(`users.role.${role}`) })}</p>
      <p>
        <a class="button primary" href="/console">
          {t("noAccess.console")}
        </a>
      </p>
    </div>
  );
}

export function NotFound() {
  return (
    <div>
      <PageHeader title={t("notFound.title")} />
      <p>{t("notFound.text")}</p>
      <p>
        <Link href="/admin/portals">{t("notFound.back")}</Link>
      </p>
    </div>
  );
}
