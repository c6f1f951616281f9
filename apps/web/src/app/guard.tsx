import type { Permission } from "@ops/domain/permissions";
import type { ComponentType } from "react";
import { NoPermission } from "../components/states";
import { allows } from "./access";
import { useMe } from "./use-me";

/** A page the router can fetch before it renders (`lazyRouteComponent`). */
type Preloadable = { preload?: () => Promise<void> | undefined };

/** Wraps a page so a user without `permission` sees why, not a blank page. */
export function requiring<P extends object>(permission: Permission, Page: ComponentType<P> & Preloadable) {
  function Guarded(props: P) {
    const me = useMe();
    if (!allows(me, permission)) return <NoPermission permission={permission} />;
    return <Page {...props} />;
  }
  // A split page stays preloadable through its guard: the router fetches its chunk beside
  // the route's loader, instead of the page suspending when it first renders.
  Guarded.preload = Page.preload;
  return Guarded;
}
