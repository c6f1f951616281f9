import type { DeliveryDetail } from "@ops/domain/schemas/communication-deliveries";
import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { RotateCcw } from "lucide-react";
import { useState } from "react";
import { allows } from "../../../app/access";
import { describeError } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { useFormatDate } from "../../../app/use-format-date";
import { useMe } from "../../../app/use-me";
import { ConfirmDialog } from "../../../components/confirm-dialog";
import { DismissibleError } from "../../../components/dismissible-error";
import { eventTitle } from "../../../components/event-type-picker";
import { showToast } from "../../../components/toasts";
import { SettingsTabs } from "../settings-tabs";
import { DeliveryStatusBadge, IN_FLIGHT } from "./delivery-status-badge";

const route = getRouteApi("/app/settings/notifications/deliveries/$deliveryId");

/** One delivery: the message as sent and every attempt; a dead or retrying one can be retried now. */
export function DeliveryPage() {
  const { deliveryId } = route.useParams();
  const me = useMe();
  const fmt = useFormatDate();
  const queryClient = useQueryClient();
  const d = useSuspenseQuery({
    ...trpc.communication.deliveries.get.queryOptions({ id: Number(deliveryId) }),
    // No live topic carries delivery outcomes: re-read only while it is in flight.
    refetchInterval: (q) => (q.state.data && IN_FLIGHT.has(q.state.data.status) ? 3000 : false),
  }).data;
  const [asking, setAsking] = useState(false);
  const retry = useMutation(
    trpc.communication.deliveries.retry.mutationOptions({
      onSuccess: () => {
        setAsking(false);
        showToast("Queued to be sent again");
        void queryClient.invalidateQueries(trpc.communication.deliveries.pathFilter());
      },
    }),
  );
  const canRetry = allows(me, "notifications.manage") && (d.status === "dead" || d.status === "retrying");
  return (
    <div>
      <SettingsTabs section="notifications" />
      <div className="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-3">
        <h2 className="h5 mb-0">
          <Link to="/settings/notifications/deliveries">Deliveries</Link> / #{d.id} {eventTitle(d.eventType)}{" "}
          <DeliveryStatusBadge status={d.status} />
        </h2>
        {canRetry && (
          <button
            type="button"
            className="btn btn-outline-primary d-flex align-items-center gap-1"
            onClick={() => setAsking(true)}
            data-testid="retry-delivery"
          >
            <RotateCcw size={16} /> Retry now
          </button>
        )}
      </div>
      <DismissibleError error={retry.error ? describeError(retry.error) : null} onDismiss={() => retry.reset()} />
      <dl className="row small mb-3">
        <dt className="col-sm-3">Channel</dt>
        <dd className="col-sm-9">
          {d.channel.name} ({d.channel.kind})
        </dd>
        <dt className="col-sm-3">Rule</dt>
        <dd className="col-sm-9">{d.rule?.name ?? "—"}</dd>
        <dt className="col-sm-3">Event</dt>
        <dd className="col-sm-9">
          <code>{d.eventType}</code>
          {d.eventId !== null && <span className="text-body-secondary"> #{d.eventId}</span>}
        </dd>
        <dt className="col-sm-3">Created</dt>
        <dd className="col-sm-9">{fmt.dateTime(d.createdAt)}</dd>
        {d.deliveredAt && (
          <>
            <dt className="col-sm-3">Delivered</dt>
            <dd className="col-sm-9" data-testid="delivered-at">
              {fmt.dateTime(d.deliveredAt)}
            </dd>
          </>
        )}
        {d.nextAttemptAt && d.status === "retrying" && (
          <>
            <dt className="col-sm-3">Next attempt</dt>
            <dd className="col-sm-9">{fmt.dateTime(d.nextAttemptAt)}</dd>
          </>
        )}
        {d.foldedCount > 0 && (
          <>
            <dt className="col-sm-3">Folded</dt>
            <dd className="col-sm-9">{d.foldedCount} messages folded into a digest</dd>
          </>
        )}
        <dt className="col-sm-3">Idempotency key</dt>
        <dd className="col-sm-9">
          <code className="text-break" data-testid="idempotency-key">
            {d.idempotencyKey}
          </code>
        </dd>
      </dl>
      <div className="row g-3">
        <div className="col-lg-6">
          <h3 className="h6">Message</h3>
          {typeof d.message.note === "string" && (
            <div className="alert alert-warning py-2 small" data-testid="delivery-note">
              {d.message.note}
            </div>
          )}
          <MessageView kind={d.channel.kind} message={d.message} />
        </div>
        <div className="col-lg-6">
          <h3 className="h6">Attempts</h3>
          <Attempts attempts={d.attemptLog} />
        </div>
      </div>
      {asking && (
        <ConfirmDialog
          title="Retry this delivery?"
          confirmLabel="Retry now"
          busy={retry.isPending}
          onConfirm={() => retry.mutate({ id: d.id })}
          onClose={() => setAsking(false)}
        >
          It goes back to the head of {d.channel.name}'s queue and is sent again now, with the same message and idempotency key.
        </ConfirmDialog>
      )}
    </div>
  );
}

function MessageView({ kind, message }: { kind: string; message: Record<string, unknown> }) {
  const text = (key: string) => (typeof message[key] === "string" ? (message[key] as string) : null);
  if (kind === "email") {
    const to = message.to;
    return (
      <div className="border rounded p-2" data-testid="delivery-message">
        <div className="small">
          <span className="text-body-secondary">To:</span> {Array.isArray(to) ? to.join(", ") : String(to ?? "—")}
        </div>
        <div className="small mb-2">
          <span className="text-body-secondary">Subject:</span> <strong>{text("subject")}</strong>
        </div>
        <pre className="small bg-body-tertiary border rounded p-2 mb-0 text-wrap">{text("text")}</pre>
      </div>
    );
  }
  const body = message.body;
  const shown = typeof body === "string" ? prettyJson(body) : JSON.stringify(body ?? message, null, 2);
  return (
    <pre className="small bg-body-tertiary border rounded p-2 mb-0" data-testid="delivery-message">
      {shown}
    </pre>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Attempts({ attempts }: { attempts: DeliveryDetail["attemptLog"] }) {
  const fmt = useFormatDate();
  if (attempts.length === 0) return <div className="small text-body-secondary">Not attempted yet.</div>;
  return (
    <div className="table-responsive">
      <table className="table table-sm small align-middle" data-testid="attempts-table">
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Result</th>
            <th>Took</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={a.attempt} data-testid="attempt-row" data-ok={String(a.ok)}>
              <td>{a.attempt}</td>
              <td className="text-nowrap">{fmt.dateTime(a.at)}</td>
              <td>
                <span className={a.ok ? "text-success" : "text-danger"}>{a.ok ? "ok" : "failed"}</span>
                {a.statusCode !== null && <span> · HTTP {a.statusCode}</span>}
                {a.retriedBy && <span className="text-body-secondary"> · retried by {a.retriedBy}</span>}
                {a.error && <div className="text-danger text-break">{a.error}</div>}
                {a.responseExcerpt && (
                  <pre className="small bg-body-tertiary border rounded p-1 mb-0 mt-1 text-wrap">{a.responseExcerpt}</pre>
                )}
              </td>
              <td className="text-nowrap">{a.durationMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
