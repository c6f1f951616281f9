import { Lock } from "lucide-react";
import { describeError } from "../app/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="d-flex align-items-center gap-2 text-body-secondary py-4" role="status">
      <span className="spinner-border spinner-border-sm" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="text-center text-body-secondary py-5">{children}</div>;
}

export function LoadError({ error }: { error: unknown }) {
  return (
    <div className="alert alert-danger" role="alert">
      Could not load: {describeError(error)}
    </div>
  );
}

export function NoPermission({ permission }: { permission: string }) {
  return (
    <div className="card border-warning-subtle my-4 mx-auto" style={{ maxWidth: 520 }} data-testid="no-permission">
      <div className="card-body text-center py-5">
        <Lock className="text-warning mb-3" size={40} aria-hidden="true" />
        <h2 className="h5">You don't have permission</h2>
        <p className="text-body-secondary mb-0">
          This page needs the <code>{permission}</code> permission. Ask an administrator to grant you a role that has it.
        </p>
      </div>
    </div>
  );
}
