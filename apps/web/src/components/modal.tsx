import { useEffect, type ReactNode } from "react";

/** Bootstrap modal markup driven by React state (no Bootstrap JS in the bundle). */
export function Modal(props: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; size?: "lg" }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    document.addEventListener("keydown", onKey);
    document.body.classList.add("modal-open");
    return () => {
      document.removeEventListener("keydown", onKey);
      document.body.classList.remove("modal-open");
    };
  }, [props.onClose]);
  return (
    <>
      <div className="modal d-block" tabIndex={-1} role="dialog" aria-modal="true" aria-label={props.title}>
        <div className={`modal-dialog modal-dialog-scrollable ${props.size === "lg" ? "modal-lg" : ""}`}>
          <div className="modal-content">
            <div className="modal-header">
              <h2 className="modal-title h5">{props.title}</h2>
              <button type="button" className="btn-close" aria-label="Close" onClick={props.onClose} />
            </div>
            <div className="modal-body">{props.children}</div>
            {props.footer && <div className="modal-footer">{props.footer}</div>}
          </div>
        </div>
      </div>
      <div className="modal-backdrop show" />
    </>
  );
}
