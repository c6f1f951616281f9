import { useEffect, useRef, useState, type ReactNode } from "react";

/**
 * Bootstrap modal markup driven by React state (no Bootstrap JS in the bundle). With
 * `dirty`, Escape and the close button ask before throwing the user's input away.
 */
export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  size?: "lg";
  dirty?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const latest = useRef(props);
  latest.current = props;
  const requestClose = () => (latest.current.dirty ? setAsking(true) : latest.current.onClose());
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      requestClose();
    };
    document.addEventListener("keydown", onKey);
    document.body.classList.add("modal-open");
    return () => {
      document.removeEventListener("keydown", onKey);
      document.body.classList.remove("modal-open");
    };
  }, []);
  return (
    <>
      <div className="modal d-block" tabIndex={-1} role="dialog" aria-modal="true" aria-label={props.title}>
        <div className={`modal-dialog modal-dialog-scrollable ${props.size === "lg" ? "modal-lg" : ""}`}>
          <div className="modal-content">
            <div className="modal-header">
              <h2 className="modal-title h5">{props.title}</h2>
              <button type="button" className="btn-close" aria-label="Close" onClick={requestClose} />
            </div>
            {asking && (
              <div
                className="alert alert-warning rounded-0 mb-0 d-flex flex-wrap align-items-center gap-2"
                role="alertdialog"
                data-testid="discard-changes"
              >
                <span className="flex-grow-1">Discard your changes?</span>
                <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setAsking(false)} autoFocus>
                  Keep editing
                </button>
                <button type="button" className="btn btn-sm btn-danger" onClick={props.onClose} data-testid="discard-confirm">
                  Discard
                </button>
              </div>
            )}
            <div className="modal-body">{props.children}</div>
            {props.footer && <div className="modal-footer">{props.footer}</div>}
          </div>
        </div>
      </div>
      <div className="modal-backdrop show" />
    </>
  );
}

/**
 * A form modal's footer: Cancel, and the submit button of the form `formId` (it shows
 * "Saving…" while `busy`). Read-only, only a Close button.
 */
export function FormModalFooter(props: {
  formId: string;
  submitLabel: string;
  busy: boolean;
  onCancel: () => void;
  testId?: string;
  readOnly?: boolean;
}) {
  return (
    <>
      <button type="button" className="btn btn-outline-secondary" onClick={props.onCancel}>
        {props.readOnly ? "Close" : "Cancel"}
      </button>
      {!props.readOnly && (
        <button type="submit" form={props.formId} className="btn btn-primary" disabled={props.busy} data-testid={props.testId}>
          {props.busy ? "Saving…" : props.submitLabel}
        </button>
      )}
    </>
  );
}
