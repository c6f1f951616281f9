import { Link } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { useMe } from "../../app/use-me";

export function ProfileTabs() {
  const me = useMe();
  const tabs = [
    { to: "/profile", label: "Profile" },
    { to: "/profile/mfa", label: "Two-factor" },
    { to: "/profile/sessions", label: "Sessions" },
    // Personal subscriptions need notifications.read.
    ...(allows(me, "notifications.read") ? [{ to: "/profile/notifications", label: "Notifications" }] : []),
  ];
  return (
    <>
      <h1 className="h3 mb-3">Your account</h1>
      <ul className="nav nav-tabs mb-4">
        {tabs.map((t) => (
          <li className="nav-item" key={t.to}>
            <Link to={t.to} className="nav-link" activeProps={{ className: "active" }} activeOptions={{ exact: true }}>
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
