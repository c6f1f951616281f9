import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";
import { positiveInt } from "./targets";
import {
  DELIVERY_STATUS_VALUES as DELIVERY_STATUSES,
  type DeliveryStatusValue as DeliveryStatus,
} from "@ops/domain/schemas/communication-deliveries";

/**
 * notifications channels list|test, deliveries list|retry, rules list: what an operator
 * scripts around notifications (is the channel working, what did not go out, send it again).
 */
export function registerNotificationCommands(program: Command): void {
  const notifications = program.command("notifications").description("Notification channels, rules and deliveries");

  const channels = notifications.command("channels").description("Where notifications go: email and webhook channels");
  channels
    .command("list")
    .description("List channels with their last delivery")
    .action(
      withContext(async (ctx) => {
        const { client } = await ctx.connect();
        const page = await client.communication.channels.list.query({ pageSize: 200 });
        ctx.out.result(page.items, () => {
          if (page.items.length === 0) return ctx.out.line("No channels yet.");
          ctx.out.table(
            ["NAME", "KIND", "ENABLED", "RULES", "LAST DELIVERY", "ID"],
            page.items.map((c) => [
              c.name,
              c.kind,
              c.enabled ? "yes" : "no",
              String(c.ruleCount),
              c.lastDelivery ? `${c.lastDelivery.status} ${formatDate(c.lastDelivery.at)}` : "-",
              c.id,
            ]),
          );
        });
      }),
    );
  channels
    .command("test")
    .description("Send a sample message through a channel and report the attempt; exit 1 unless it was accepted")
    .argument("<channel>", "channel id or exact name")
    .option("--to <address...>", "email channels: where the test goes (default: the channel's recipients, else you)")
    .action(
      withContext(async (ctx, channel: string, opts: { to?: string[] }) => {
        const { client } = await ctx.connect();
        const id = await resolveChannel(client, channel);
        ctx.out.note("sending a test message (waits up to 20 s for a worker)...");
        const result = await client.communication.channels.test.mutate({ id, to: opts.to });
        ctx.out.result(result, () => {
          const code = result.statusCode !== null ? ` (${result.statusCode})` : "";
          ctx.out.line(result.ok ? `ok${code} in ${result.durationMs} ms` : `failed${code}: ${result.error ?? "no reason given"}`);
          if (result.responseExcerpt) ctx.out.line(result.responseExcerpt);
        });
        if (!result.ok) process.exitCode = 1;
      }),
    );

  const deliveries = notifications.command("deliveries").description("Messages sent, waiting or given up on");
  deliveries
    .command("list")
    .description("List deliveries, newest first")
    .option("--status <status>", `only deliveries in this state (${DELIVERY_STATUSES.join(", ")})`)
    .option("--channel <channel>", "only this channel's (id or exact name)")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: { status?: string; channel?: string; page: string; pageSize: string }) => {
        if (opts.status && !DELIVERY_STATUSES.includes(opts.status as DeliveryStatus)) {
          throw new CliError(`--status must be one of ${DELIVERY_STATUSES.join(", ")}, not "${opts.status}"`);
        }
        const { client } = await ctx.connect();
        const page = await client.communication.deliveries.list.query({
          status: opts.status as DeliveryStatus | undefined,
          channelId: opts.channel ? await resolveChannel(client, opts.channel) : undefined,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line("No deliveries match.");
          ctx.out.table(
            ["ID", "CREATED", "STATUS", "CHANNEL", "EVENT", "ATTEMPTS", "SUMMARY", "LAST ERROR"],
            page.items.map((d) => [
              String(d.id),
              formatDate(d.createdAt),
              d.status,
              d.channel.name,
              d.eventType,
              String(d.attempts),
              d.summary,
              d.lastError ?? "-",
            ]),
          );
          ctx.out.note(`Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))} (${page.total} deliveries)`);
        });
      }),
    );
  deliveries
    .command("retry")
    .description("Queue a dead (or retrying) delivery again now")
    .argument("<id>", "delivery id")
    .action(
      withContext(async (ctx, raw: string) => {
        const id = positiveInt("<id>", raw)!;
        const { client } = await ctx.connect();
        const d = await client.communication.deliveries.retry.mutate({ id });
        ctx.out.result(d, () => ctx.out.line(`delivery ${d.id} queued again on ${d.channel.name}`));
      }),
    );

  notifications
    .command("rules")
    .description("Notification rules")
    .command("list")
    .description("List the organisation's rules")
    .action(
      withContext(async (ctx) => {
        const { client } = await ctx.connect();
        const page = await client.communication.rules.list.query({ pageSize: 200 });
        ctx.out.result(page.items, () => {
          if (page.items.length === 0) return ctx.out.line("No rules yet.");
          ctx.out.table(
            ["NAME", "ENABLED", "EVENTS", "CHANNEL", "IN-APP", "SENT 24H", "ID"],
            page.items.map((r) => [
              r.name,
              r.enabled ? "yes" : "no",
              r.eventTypes.join(","),
              r.channel?.name ?? "-",
              r.inApp ? "yes" : "no",
              String(r.deliveries24h),
              r.id,
            ]),
          );
        });
      }),
    );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A channel id as given, or the id of the channel with exactly this name (ignoring case). */
async function resolveChannel(client: OpsClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const page = await client.communication.channels.list.query({ search: ref, pageSize: 200 });
  const hit = page.items.find((c) => c.name.toLowerCase() === ref.toLowerCase());
  if (!hit) throw new CliError(`no channel named "${ref}"`);
  return hit.id;
}
