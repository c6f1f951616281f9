import { useSyncExternalStore } from "react";

type Toast = { id: number; text: string; tone: "success" | "warning" };

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const publish = (next: Toast[]) => {
  toasts = next;
  for (const l of listeners) l();
};

export function dismissToast(id: number) {
  publish(toasts.filter((t) => t.id !== id));
}

/** A short confirmation in the corner; warnings stay until dismissed, the rest fade after 6 s. */
export function showToast(text: string, tone: Toast["tone"] = "success") {
  const id = nextId++;
  publish([...toasts, { id, text, tone }]);
  if (tone === "success") setTimeout(() => dismissToast(id), 6000);
}

export function ToastStack() {
  const list = useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => toasts,
  );
  if (list.length === 0) return null;
  return (
    <div className="toast-stack d-flex flex-column gap-2" aria-live="polite">
      {list.map((t) => (
        <div
          key={t.id}
          className={`alert alert-${t.tone} alert-dismissible shadow-sm mb-0`}
          role={t.tone === "warning" ? "alert" : "status"}
          data-testid={`toast-${t.tone}`}
        >
          {t.text}
          <button type="button" className="btn-close" aria-label="Dismiss" onClick={() => dismissToast(t.id)} />
        </div>
      ))}
    </div>
  );
}
