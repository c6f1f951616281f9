import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ErrorAlert } from "../../components/form";
import { Modal } from "../../components/modal";

type Format = "csv" | "json";

/** Paste or upload CSV/JSON, preview every row (bad ones with line and errors), then import. */
export function ImportModal(props: { onClose: () => void; onImported: () => void }) {
  const [format, setFormat] = useState<Format>("csv");
  const [content, setContent] = useState("");
  const [onExisting, setOnExisting] = useState<"skip" | "update">("skip");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const preview = useMutation(trpc.assets.targets.importPreview.mutationOptions({ onError: (e) => setError(describeError(e)) }));
  const commit = useMutation(
    trpc.assets.targets.importCommit.mutationOptions({
      onSuccess: (r) => {
        props.onImported();
        setDone(`Imported: ${r.created} created, ${r.updated} updated, ${r.skipped} skipped.`);
      },
      onError: (e) => setError(describeError(e)),
    }),
  );

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setFormat(file.name.toLowerCase().endsWith(".json") ? "json" : "csv");
    setContent(await file.text());
    preview.reset();
  };

  const rows = preview.data?.rows ?? [];
  const bad = rows.filter((r) => !r.ok);
  const good = rows.filter((r) => r.ok && r.action !== "skip").length;
  const canImport = !!preview.data && bad.length === 0 && good > 0 && !commit.isPending;

  return (
    <Modal
      title="Import targets"
      size="lg"
      onClose={props.onClose}
      dirty={!done && content.trim() !== ""}
      footer={
        done ? (
          <button type="button" className="btn btn-primary" onClick={props.onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-outline-primary"
              disabled={!content.trim() || preview.isPending}
              onClick={() => {
                setError(null);
                preview.mutate({ format, content, onExisting });
              }}
              data-testid="import-preview"
            >
              Preview
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={!canImport}
              onClick={() => commit.mutate({ format, content, onExisting })}
              data-testid="import-commit"
            >
              Import {good} target{good === 1 ? "" : "s"}
            </button>
          </>
        )
      }
    >
      <ErrorAlert error={error} />
      {done ? (
        <div className="alert alert-success mb-0" data-testid="import-done">
          {done}
        </div>
      ) : (
        <>
          <div className="d-flex flex-wrap gap-3 align-items-center mb-2">
            <div className="btn-group btn-group-sm" role="group" aria-label="Format">
              {(["csv", "json"] as const).map((f) => (
                <button
                  key={f}
                  type="button"
                  className={`btn ${format === f ? "btn-primary" : "btn-outline-secondary"}`}
                  onClick={() => (setFormat(f), preview.reset())}
                >
                  {f.toUpperCase()}
                </button>
              ))}
            </div>
            <input
              type="file"
              className="form-control form-control-sm"
              style={{ maxWidth: 280 }}
              accept=".csv,.json,text/csv,application/json"
              aria-label="Upload file"
              onChange={(e) => upload(e.target.files?.[0])}
            />
          </div>
          <label htmlFor="import-content" className="form-label">
            Or paste {format.toUpperCase()}
          </label>
          <textarea
            id="import-content"
            className="form-control font-monospace small"
            rows={6}
            value={content}
            onChange={(e) => (setContent(e.target.value), preview.reset())}
            placeholder={
              format === "csv"
                ? "Example:\nname,address,port,os_family,labels,groups\nweb-1,10.0.0.5,22,linux,env=prod;role=web,web"
                : 'Example:\n[{"name":"web-1","address":"10.0.0.5","port":22}]'
            }
          />
          <fieldset className="mt-2">
            <legend className="form-label fs-6 mb-1">When a target with the same name exists</legend>
            <div className="form-check form-check-inline">
              <input
                className="form-check-input"
                type="radio"
                id="existing-skip"
                checked={onExisting === "skip"}
                onChange={() => (setOnExisting("skip"), preview.reset())}
              />
              <label className="form-check-label" htmlFor="existing-skip">
                Skip it
              </label>
            </div>
            <div className="form-check form-check-inline">
              <input
                className="form-check-input"
                type="radio"
                id="existing-update"
                checked={onExisting === "update"}
                onChange={() => (setOnExisting("update"), preview.reset())}
              />
              <label className="form-check-label" htmlFor="existing-update">
                Update it
              </label>
            </div>
          </fieldset>
          {preview.data && (
            <div className="mt-3">
              {bad.length > 0 ? (
                <div className="alert alert-warning py-2" data-testid="import-bad-count">
                  {bad.length} row{bad.length === 1 ? " has" : "s have"} errors. Fix them and preview again.
                </div>
              ) : (
                <div className="alert alert-success py-2">
                  {good} row(s) ready to import
                  {preview.data.groupsToCreate.length > 0 && `; new groups: ${preview.data.groupsToCreate.join(", ")}`}.
                </div>
              )}
              <div className="table-responsive" style={{ maxHeight: 300 }}>
                <table className="table table-sm align-middle" data-testid="import-preview-table">
                  <thead>
                    <tr>
                      <th>Line</th>
                      <th>Name</th>
                      <th>Address</th>
                      <th>Result</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...bad, ...rows.filter((r) => r.ok)].map((r) => (
                      <tr
                        key={r.line}
                        className={r.ok ? undefined : "table-danger"}
                        data-testid={r.ok ? "import-good-row" : "import-bad-row"}
                      >
                        <td>{r.line}</td>
                        <td>{r.target?.name ?? "—"}</td>
                        <td className="font-monospace small">{r.target ? `${r.target.address}:${r.target.port}` : "—"}</td>
                        <td className="small">{r.ok ? r.action : r.errors.join("; ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
        </>
      )}
    </Modal>
  );
}
