import { DELIVERY_STATUS_VALUES } from "@ops/domain/schemas/communication-deliveries";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { trpc } from "../../../app/trpc";
import { useFormatDate } from "../../../app/use-format-date";
import { eventTitle } from "../../../components/event-type-picker";
import { QueryTable } from "../../../components/query-table";
import { SettingsTabs } from "../settings-tabs";
import { deliveriesListInput, type DeliveriesSearch } from "./deliveries-search";
import { DeliveryStatusBadge, IN_FLIGHT } from "./delivery-status-badge";
import { CHANNELS_LIST_INPUT, RULES_LIST_INPUT } from "./notification-lists";

const route = getRouteApi("/app/settings/notifications/deliveries");

/** Settings > Notifications > Deliveries: every message sent or being retried, newest first. */
export function DeliveriesPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/settings/notifications/deliveries" });
  const setSearch = (patch: Partial<DeliveriesSearch>) => navigate({ search: (s) => ({ ...s, ...patch, page: patch.page ?? 1 }) });
  const list = useQuery({
    ...trpc.communication.deliveries.list.queryOptions(deliveriesListInput(search)),
    placeholderData: keepPreviousData,
    // No live topic carries delivery outcomes: re-read only while one on screen is still in flight.
    refetchInterval: (q) => (q.state.data?.items.some((d) => IN_FLIGHT.has(d.status)) ? 3000 : false),
  });
  const channels = useQuery(trpc.communication.channels.list.queryOptions(CHANNELS_LIST_INPUT));
  const rules = useQuery(trpc.communication.rules.list.queryOptions(RULES_LIST_INPUT));
  const filtered = !!(search.status || search.channelId || search.ruleId);
  return (
    <div>
      <SettingsTabs section="notifications" />
      <div className="row g-2 mb-3">
        <FilterSelect
          label="Status"
          any="Any status"
          value={search.status}
          options={DELIVERY_STATUS_VALUES.map((s) => ({ value: s, label: s }))}
          onChange={(v) => setSearch({ status: v as DeliveriesSearch["status"] })}
          testId="filter-status"
        />
        <FilterSelect
          label="Channel"
          any="Any channel"
          value={search.channelId}
          options={(channels.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
          onChange={(v) => setSearch({ channelId: v })}
        />
        <FilterSelect
          label="Rule"
          any="Any rule"
          value={search.ruleId}
          options={(rules.data?.items ?? []).map((r) => ({ value: r.id, label: r.name }))}
          onChange={(v) => setSearch({ ruleId: v })}
        />
      </div>
      <QueryTable
        query={list}
        empty={filtered ? "No deliveries match." : "Nothing sent yet."}
        testId="deliveries-table"
        head={
          <>
            <th>Event</th>
            <th>Status</th>
            <th className="d-none d-md-table-cell">Channel</th>
            <th className="d-none d-lg-table-cell">Rule</th>
            <th className="d-none d-sm-table-cell">Attempts</th>
            <th className="d-none d-md-table-cell">Created</th>
          </>
        }
        row={(d) => (
          <tr key={d.id} data-testid="delivery-row">
            <td>
              <Link to="/settings/notifications/deliveries/$deliveryId" params={{ deliveryId: String(d.id) }} className="fw-medium">
                {eventTitle(d.eventType)}
              </Link>
              <div className="small text-body-secondary text-break">{d.summary}</div>
            </td>
            <td>
              <DeliveryStatusBadge status={d.status} />
              {d.foldedCount > 0 && <div className="small text-body-secondary">{d.foldedCount} folded in</div>}
              {d.status === "retrying" && d.nextAttemptAt && (
                <div className="small text-body-secondary">next {fmt.dateTime(d.nextAttemptAt)}</div>
              )}
            </td>
            <td className="d-none d-md-table-cell small">{d.channel.name}</td>
            <td className="d-none d-lg-table-cell small">{d.rule?.name ?? "—"}</td>
            <td className="d-none d-sm-table-cell small">
              {d.attempts}
              {d.lastStatusCode !== null && <span className="text-body-secondary"> · {d.lastStatusCode}</span>}
            </td>
            <td className="d-none d-md-table-cell small text-nowrap">{fmt.dateTime(d.createdAt)}</td>
          </tr>
        )}
        onPage={(page) => setSearch({ page })}
      />
    </div>
  );
}

/** One of the list's filters: a select whose empty choice ("Any ...") means no filter. */
function FilterSelect(props: {
  label: string;
  any: string;
  value: string | undefined;
  options: { value: string; label: string }[];
  onChange: (value: string | undefined) => void;
  testId?: string;
}) {
  return (
    <div className="col-6 col-md-3">
      <select
        className="form-select form-select-sm"
        aria-label={props.label}
        value={props.value ?? ""}
        onChange={(e) => props.onChange(e.target.value || undefined)}
        data-testid={props.testId}
      >
        <option value="">{props.any}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
