import type { Permission } from "@ops/domain/permissions";
import type { ComponentType } from "react";
import { NoPermission } from "../components/states";
import { allows } from "./access";
import { useMe } from "./use-me";

/** Wraps a page so a user without `permission` sees why, not a blank page. */
export function requiring<P extends object>(permission: Permission, Page: ComponentType<P>) {
  return function Guarded(props: P) {
    const me = useMe();
    if (!allows(me, permission)) return <NoPermission permission={permission} />;
    return <Page {...props} />;
  };
}
