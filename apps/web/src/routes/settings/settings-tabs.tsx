import type { Permission } from "@ops/domain/permissions";
import { Link } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { useMe } from "../../app/use-me";

const SECTIONS: { to: string; label: string; needs: Permission; exact?: boolean }[] = [
  { to: "/settings/outbound-networks", label: "Outbound networks", needs: "settings.manage" },
  { to: "/settings/notifications", label: "Notifications", needs: "notifications.read" },
];

const NOTIFICATION_TABS = [
  { to: "/settings/notifications/channels", label: "Channels" },
  { to: "/settings/notifications/templates", label: "Templates" },
  { to: "/settings/notifications/rules", label: "Rules" },
  { to: "/settings/notifications/deliveries", label: "Deliveries" },
];

/** The settings heading with the sections this user may open (each is permission-gated on its own). */
export function SettingsTabs({ section }: { section: "outbound-networks" | "notifications" }) {
  const me = useMe();
  return (
    <>
      <h1 className="h3 mb-3">Settings</h1>
      <ul className="nav nav-tabs mb-3" data-testid="settings-tabs">
        {SECTIONS.filter((s) => allows(me, s.needs)).map((s) => (
          <li className="nav-item" key={s.to}>
            <Link to={s.to} className={`nav-link ${s.to.endsWith(section) ? "active" : ""}`}>
              {s.label}
            </Link>
          </li>
        ))}
      </ul>
      {section === "notifications" && (
        <ul className="nav nav-pills mb-3" data-testid="notification-tabs">
          {NOTIFICATION_TABS.map((t) => (
            <li className="nav-item" key={t.to}>
              <Link to={t.to} className="nav-link py-1" activeProps={{ className: "active" }}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
