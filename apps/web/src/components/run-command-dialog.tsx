import { execInput } from "@ops/domain/schemas/automation-runs";
import type { TargetFilters } from "@ops/domain/schemas/assets-targets";
import { useMutation } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useFormErrors, validate } from "../app/errors";
import { trpc, trpcClient } from "../app/trpc";
import { ErrorAlert, TextareaField } from "./form";
import { Modal } from "./modal";

/** Chosen targets by id, or every target matching a filter (a group's page, "all N matching"). */
export type CommandTargets = { ids: string[] } | { filter: TargetFilters; count: number };

const MAX = 5000;

/** Every id matching the filter, a page at a time (exec takes ids; at most 5000 per run). */
async function matchingIds(filter: TargetFilters): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ids.length < MAX; page++) {
    const r = await trpcClient.assets.targets.list.query({ ...filter, page, pageSize: 200, sort: "name", dir: "asc" });
    ids.push(...r.items.map((t) => t.id));
    if (page * r.pageSize >= r.total) break;
  }
  return ids.slice(0, MAX);
}

/** AWX's "Run command": one command on the chosen targets, then the run page with its live output. */
export function RunCommandDialog(props: { targets: CommandTargets; onClose: () => void }) {
  const navigate = useNavigate();
  const [command, setCommand] = useState("");
  const [become, setBecome] = useState(false);
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const [resolving, setResolving] = useState(false);
  const count = "ids" in props.targets ? props.targets.ids.length : props.targets.count;
  const exec = useMutation(
    trpc.automation.runs.exec.mutationOptions({ onSuccess: (r) => navigate({ to: "/runs/$runId", params: { runId: r.runId } }), onError }),
  );
  const submit = async () => {
    setError(null);
    const checked = validate(execInput.pick({ command: true }), { command });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    let targetIds: string[];
    try {
      setResolving(true);
      targetIds = "ids" in props.targets ? props.targets.ids : await matchingIds(props.targets.filter);
    } catch (e) {
      return onError(e);
    } finally {
      setResolving(false);
    }
    exec.mutate({ targetIds, command, become });
  };
  return (
    <Modal
      title={`Run a command on ${count} target${count === 1 ? "" : "s"}`}
      onClose={props.onClose}
      dirty={command !== ""}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={exec.isPending || resolving}
            onClick={() => void submit()}
            data-testid="run-command-submit"
          >
            Run
          </button>
        </>
      }
    >
      <ErrorAlert error={error} />
      {count > MAX && (
        <div className="alert alert-warning py-2 small">
          A run takes at most {MAX} targets; the first {MAX} by name are used.
        </div>
      )}
      <TextareaField
        id="command"
        label="Command"
        rows={4}
        base="form-control font-monospace"
        errors={errors}
        value={command}
        onChange={setCommand}
        placeholder="uptime"
      />
      <div className="form-check">
        <input
          id="command-become"
          type="checkbox"
          className="form-check-input"
          checked={become}
          onChange={(e) => setBecome(e.target.checked)}
        />
        <label className="form-check-label" htmlFor="command-become">
          Run through sudo (each target's become credential)
        </label>
      </div>
    </Modal>
  );
}
