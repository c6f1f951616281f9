import type { RunView } from "@ops/domain/schemas/automation-runs";
import { TERMINAL_RUN_STATES } from "@ops/domain/schemas/automation-runs";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { DismissibleError } from "../../components/dismissible-error";

type Ask = "cancel" | "rerun" | "rerunFailed" | "resume";
const TEXT: Record<Ask, { title: string; ok: string; body: string }> = {
  cancel: {
    title: "Cancel run",
    ok: "Cancel run",
    body: "Stop this run? Commands still running on the hosts are killed; hosts not started are skipped.",
  },
  rerun: { title: "Rerun", ok: "Rerun all hosts", body: "Start a new run of the same job version with the same values on every host?" },
  rerunFailed: {
    title: "Rerun failed hosts",
    ok: "Rerun failed hosts",
    body: "Start a new run on the hosts that failed (or were cancelled, interrupted or timed out) only?",
  },
  resume: {
    title: "Resume",
    ok: "Resume",
    body: "Start a new run that keeps the host-steps that finished and continues from the failed step?",
  },
};

/** Cancel while it runs; rerun (all or failed hosts) and resume once it ended. Each asks first. */
export function RunActions({ run }: { run: RunView }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [ask, setAsk] = useState<Ask | null>(null);
  const [error, setError] = useState<string | null>(null);
  const finished = (TERMINAL_RUN_STATES as readonly string[]).includes(run.state);
  const onError = (e: unknown) => (setAsk(null), setError(describeError(e)));
  const toRun = (r: { runId: string }) => (setAsk(null), navigate({ to: "/runs/$runId", params: { runId: r.runId } }));
  const cancel = useMutation(
    trpc.automation.runs.cancel.mutationOptions({
      onSuccess: () => (setAsk(null), queryClient.invalidateQueries(trpc.automation.runs.get.queryFilter({ runId: run.id }))),
      onError,
    }),
  );
  const rerun = useMutation(trpc.automation.runs.rerun.mutationOptions({ onSuccess: toRun, onError }));
  const resume = useMutation(trpc.automation.runs.resume.mutationOptions({ onSuccess: toRun, onError }));
  const busy = cancel.isPending || rerun.isPending || resume.isPending;
  const confirm = () => {
    if (ask === "cancel") cancel.mutate({ runId: run.id });
    if (ask === "rerun") rerun.mutate({ runId: run.id, failedOnly: false });
    if (ask === "rerunFailed") rerun.mutate({ runId: run.id, failedOnly: true });
    if (ask === "resume") resume.mutate({ runId: run.id });
  };
  const button = (a: Ask, label: string, cls = "btn-outline-secondary") => (
    <button type="button" className={`btn btn-sm ${cls}`} onClick={() => setAsk(a)} data-testid={`run-${a}`}>
      {label}
    </button>
  );
  return (
    <div>
      <div className="d-flex flex-wrap gap-2">
        {!finished && button("cancel", "Cancel", "btn-outline-danger")}
        {finished && button("rerun", "Rerun all")}
        {finished && run.state !== "succeeded" && button("rerunFailed", "Rerun failed hosts")}
        {finished && run.state !== "succeeded" && button("resume", "Resume")}
      </div>
      <DismissibleError error={error} onDismiss={() => setError(null)} />
      {ask && (
        <ConfirmDialog
          title={TEXT[ask].title}
          confirmLabel={TEXT[ask].ok}
          danger={ask === "cancel"}
          busy={busy}
          onConfirm={confirm}
          onClose={() => setAsk(null)}
        >
          <p className="mb-0">{TEXT[ask].body}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
