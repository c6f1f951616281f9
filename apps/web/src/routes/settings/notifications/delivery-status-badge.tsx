/** Statuses a worker will still change: pages showing them re-read until they settle. */
export const IN_FLIGHT: ReadonlySet<string> = new Set(["queued", "retrying"]);

const TONE: Record<string, string> = {
  queued: "secondary",
  retrying: "warning",
  delivered: "success",
  dead: "danger",
  folded: "light",
  withdrawn: "light",
};

/** A delivery's status as a coloured badge (the deliveries list, a channel's last delivery). */
export function DeliveryStatusBadge({ status }: { status: string }) {
  const tone = TONE[status] ?? "secondary";
  return (
    <span className={`badge text-bg-${tone} ${tone === "light" ? "border" : ""}`} data-testid="delivery-status" data-status={status}>
      {status}
    </span>
  );
}
