/** A red alert with a close button; renders nothing while there is no error. */
export function DismissibleError({ error, onDismiss }: { error: string | null; onDismiss: () => void }) {
  if (!error) return null;
  return (
    <div className="alert alert-danger alert-dismissible" role="alert">
      {error}
      <button type="button" className="btn-close" aria-label="Dismiss" onClick={onDismiss} />
    </div>
  );
}
