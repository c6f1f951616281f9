import type { Permission } from "@ops/domain/permissions";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { createRoute, Link, Outlet, redirect, useNavigate, useRouterState } from "@tanstack/react-router";
import {
  FolderTree,
  History,
  ListChecks,
  KeyRound,
  LayoutDashboard,
  LockKeyhole,
  LogOut,
  Menu,
  Moon,
  Radar,
  ScrollText,
  Server,
  Settings,
  ShieldCheck,
  Sun,
  User,
  Users,
} from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { allows } from "../app/access";
import { applyTheme } from "../app/theme";
import { isApiError, trpc } from "../app/trpc";
import { useMe } from "../app/use-me";
import { useLiveEvents } from "../app/live-events";
import { NotificationBell } from "../components/notification-bell";
import { Loading } from "../components/states";
import { ToastStack } from "../components/toasts";
import { rootRoute } from "./root";

export const appLayoutRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: async ({ context, location }) => {
    try {
      const me = await context.queryClient.ensureQueryData(context.trpc.identity.auth.me.queryOptions());
      return { me };
    } catch (e) {
      if (isApiError(e) && e.data?.httpStatus === 401) {
        throw redirect({ to: "/login", search: { redirect: location.href } });
      }
      throw e;
    }
  },
  pendingComponent: () => (
    <div className="container py-5">
      <Loading />
    </div>
  ),
  component: AppLayout,
});

type NavItem = {
  to: string;
  label: string;
  icon: typeof Users;
  needs?: Permission;
  /** Hidden when the user has this one: another item leads to the same place. */
  unless?: Permission;
  /** Highlighted anywhere under this path, not only at `to` (Settings has several pages). */
  section?: string;
};
const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", icon: LayoutDashboard },
  { to: "/targets", label: "Targets", icon: Server, needs: "targets.read" },
  { to: "/groups", label: "Groups", icon: FolderTree, needs: "targets.read" },
  { to: "/credentials", label: "Credentials", icon: LockKeyhole, needs: "credentials.read" },
  { to: "/discovery", label: "Discovery", icon: Radar, needs: "discovery.read" },
  { to: "/jobs", label: "Jobs", icon: ListChecks, needs: "jobs.read" },
  { to: "/runs", label: "Runs", icon: History, needs: "runs.read" },
  { to: "/users", label: "Users", icon: Users, needs: "users.read" },
  { to: "/roles", label: "Roles", icon: ShieldCheck, needs: "roles.read" },
  { to: "/audit", label: "Audit log", icon: ScrollText, needs: "audit.read" },
  { to: "/settings/outbound-networks", label: "Settings", icon: Settings, needs: "settings.manage", section: "/settings/" },
  // Without settings.manage, Settings opens on the notification pages.
  {
    to: "/settings/notifications/channels",
    label: "Settings",
    icon: Settings,
    needs: "notifications.read",
    unless: "settings.manage",
    section: "/settings/",
  },
  { to: "/tokens", label: "API tokens", icon: KeyRound },
  { to: "/profile", label: "Profile", icon: User },
];

function SideNav({ onNavigate }: { onNavigate?: () => void }) {
  const me = useMe();
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  return (
    <nav className="nav nav-pills flex-column gap-1" aria-label="Main" data-testid="side-nav">
      {NAV.filter((item) => (!item.needs || allows(me, item.needs)) && !(item.unless && allows(me, item.unless))).map((item) => (
        <Link
          key={item.to}
          to={item.to}
          className={`nav-link d-flex align-items-center gap-2 ${item.section && pathname.startsWith(item.section) ? "active" : ""}`}
          activeProps={{ className: "active" }}
          activeOptions={{ exact: item.to === "/" }}
          onClick={onNavigate}
        >
          <item.icon size={18} aria-hidden="true" />
          {item.label}
        </Link>
      ))}
    </nav>
  );
}

function UserMenu() {
  const me = useMe();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  // Close on a click anywhere else, like Bootstrap's own dropdown.
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => menuRef.current?.contains(e.target as Node) || setOpen(false);
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const theme = useMutation(
    trpc.identity.profile.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.identity.auth.me.queryFilter()),
    }),
  );
  const logout = useMutation(
    trpc.identity.auth.logout.mutationOptions({
      onSettled: async () => {
        queryClient.clear();
        await navigate({ to: "/login" });
      },
    }),
  );
  const nextTheme = me.theme === "dark" ? "light" : "dark";
  return (
    <div className="dropdown" ref={menuRef}>
      <button
        type="button"
        className="btn btn-outline-light btn-sm dropdown-toggle d-flex align-items-center gap-1"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="user-menu"
      >
        <User size={16} aria-hidden="true" />
        <span className="d-none d-sm-inline text-truncate" style={{ maxWidth: 160 }}>
          {me.displayName || me.email}
        </span>
      </button>
      {open && (
        <ul className="dropdown-menu dropdown-menu-end show" style={{ right: 0 }} onClick={() => setOpen(false)}>
          <li className="dropdown-header text-truncate">{me.email}</li>
          <li>
            <Link className="dropdown-item" to="/profile">
              Profile
            </Link>
          </li>
          <li>
            <button
              type="button"
              className="dropdown-item d-flex align-items-center gap-2"
              onClick={() => {
                applyTheme(nextTheme);
                theme.mutate({ theme: nextTheme });
              }}
            >
              {nextTheme === "dark" ? <Moon size={16} /> : <Sun size={16} />} {nextTheme === "dark" ? "Dark" : "Light"} theme
            </button>
          </li>
          <li>
            <hr className="dropdown-divider" />
          </li>
          <li>
            <button
              type="button"
              className="dropdown-item d-flex align-items-center gap-2"
              onClick={() => logout.mutate()}
              data-testid="sign-out"
            >
              <LogOut size={16} /> Sign out
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

function AppLayout() {
  const me = useMe();
  const [menuOpen, setMenuOpen] = useState(false);
  const onMfaPage = useRouterState({ select: (s) => s.location.pathname === "/profile/mfa" });
  useEffect(() => applyTheme(me.theme), [me.theme]);
  useLiveEvents();
  return (
    <div className="min-vh-100 d-flex flex-column">
      <a
        href="#main-content"
        className="visually-hidden-focusable position-absolute top-0 start-0 m-2 btn btn-light"
        style={{ zIndex: 1100 }}
      >
        Skip to content
      </a>
      <header className="navbar navbar-dark bg-dark px-3 sticky-top">
        <div className="d-flex align-items-center gap-2">
          <button
            type="button"
            className="btn btn-outline-light btn-sm d-lg-none"
            aria-label="Open navigation"
            onClick={() => setMenuOpen(true)}
            data-testid="nav-toggle"
          >
            <Menu size={18} />
          </button>
          <Link to="/" className="navbar-brand fw-semibold mb-0">
            OpsConductor
          </Link>
        </div>
        <div className="d-flex align-items-center gap-2">
          <NotificationBell />
          <UserMenu />
        </div>
      </header>

      {menuOpen && (
        <>
          <div className="offcanvas offcanvas-start show" tabIndex={-1} aria-label="Navigation" style={{ width: 260 }}>
            <div className="offcanvas-header">
              <span className="offcanvas-title fw-semibold">OpsConductor</span>
              <button type="button" className="btn-close" aria-label="Close navigation" onClick={() => setMenuOpen(false)} />
            </div>
            <div className="offcanvas-body">
              <SideNav onNavigate={() => setMenuOpen(false)} />
            </div>
          </div>
          <div className="offcanvas-backdrop show" onClick={() => setMenuOpen(false)} />
        </>
      )}

      <div className="d-flex flex-grow-1">
        <aside className="app-sidebar d-none d-lg-block border-end p-3 bg-body-tertiary">
          <SideNav />
        </aside>
        <main id="main-content" tabIndex={-1} className="app-main flex-grow-1 p-3 p-md-4">
          {me.mfaRequired && !me.mfaEnabled && !onMfaPage && (
            <div className="alert alert-warning" role="alert" data-testid="mfa-required-banner">
              One of your roles requires two-factor authentication. Until you <Link to="/profile/mfa">set it up</Link>, you can only manage
              your own profile.
            </div>
          )}
          <Outlet />
        </main>
        <ToastStack />
      </div>
    </div>
  );
}
