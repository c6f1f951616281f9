import { RefreshCw } from "lucide-react";

/** "Changed by someone else since you opened it", with the way out: reload the form. */
export function StaleEditAlert({ message, onReload }: { message: string | null; onReload: () => void }) {
  if (!message) return null;
  return (
    <div className="alert alert-warning d-flex flex-wrap align-items-center gap-2 py-2" role="alert" data-testid="stale-edit">
      <span className="flex-grow-1">{message}</span>
      <button
        type="button"
        className="btn btn-sm btn-warning d-flex align-items-center gap-1"
        onClick={onReload}
        data-testid="stale-reload"
      >
        <RefreshCw size={14} aria-hidden="true" /> Reload
      </button>
    </div>
  );
}
