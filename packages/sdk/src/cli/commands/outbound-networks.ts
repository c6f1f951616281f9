import type { Command } from "commander";
import { withContext } from "../context";
import { formatDate } from "../output";

/**
 * outbound-networks list|allow|remove: networks http.request steps and webhooks may reach
 * although the outbound rules refuse them (loopback, private, link-local, metadata).
 */
export function registerOutboundNetworkCommands(program: Command): void {
  const nets = program.command("outbound-networks").description("Networks outbound requests may reach despite the address rules");

  nets
    .command("list")
    .description("List the allowed outbound networks")
    .action(
      withContext(async (ctx) => {
        const { client } = await ctx.connect();
        const rows = await client.communication.outboundNetworks.list.query();
        ctx.out.result(rows, () => {
          if (rows.length === 0)
            return ctx.out.line("No networks allowed: loopback, private, link-local and metadata addresses are refused.");
          ctx.out.table(
            ["CIDR", "NOTE", "ADDED"],
            rows.map((n) => [n.cidr, n.note, formatDate(n.createdAt)]),
          );
        });
      }),
    );

  nets
    .command("allow")
    .description("Allow a network (CIDR block or one address, IPv4 or IPv6)")
    .argument("<cidr>", "e.g. 10.20.0.0/16, 127.0.0.1 or fd00::/8")
    .option("--note <note>", "why it is allowed", "")
    .action(
      withContext(async (ctx, cidr: string, opts: { note: string }) => {
        const { client } = await ctx.connect();
        const current = await client.communication.outboundNetworks.list.query();
        const rows = await client.communication.outboundNetworks.set.mutate({
          networks: [...current.map((n) => ({ cidr: n.cidr, note: n.note })), { cidr, note: opts.note }],
        });
        ctx.out.result(rows, () => ctx.out.line(`Allowed ${cidr}; ${rows.length} network(s) allowed`));
      }),
    );

  nets
    .command("remove")
    .description("Stop allowing a network")
    .argument("<cidr>", "as `opsctl outbound-networks list` shows it")
    .action(
      withContext(async (ctx, cidr: string) => {
        const { client } = await ctx.connect();
        const current = await client.communication.outboundNetworks.list.query();
        // One address may be written without its /32 or /128, as `allow` takes it.
        const wanted = cidr.trim().toLowerCase();
        const kept = current.filter((n) => ![wanted, `${wanted}/32`, `${wanted}/128`].includes(n.cidr));
        const rows = await client.communication.outboundNetworks.set.mutate({
          networks: kept.map((n) => ({ cidr: n.cidr, note: n.note })),
        });
        ctx.out.result(rows, () =>
          ctx.out.line(kept.length === current.length ? `${cidr} was not allowed` : `Removed ${cidr}; ${rows.length} network(s) allowed`),
        );
      }),
    );
}
