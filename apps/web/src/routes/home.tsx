import { createRoute, Link } from "@tanstack/react-router";
import { useMe } from "../app/use-me";
import { appLayoutRoute } from "./app-layout";

export const homeRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/",
  component: Home,
});

function Home() {
  const me = useMe();
  return (
    <div>
      <h1 className="h3 mb-3">Welcome, {me.displayName || me.email}</h1>
      <p className="text-body-secondary">
        Signed in with {me.roles.length ? me.roles.map((r) => r.name).join(", ") : "no roles"}. Inventory, jobs and runs arrive in the next
        milestones.
      </p>
      <div className="d-flex flex-wrap gap-2">
        <Link to="/profile" className="btn btn-outline-primary btn-sm">
          Your profile
        </Link>
        <Link to="/tokens" className="btn btn-outline-secondary btn-sm">
          API tokens
        </Link>
      </div>
    </div>
  );
}
