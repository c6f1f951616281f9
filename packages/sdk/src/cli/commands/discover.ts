import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { CliError, withContext } from "../context";
import { collect, createProgressLine, positiveInt, sleep } from "./targets";

type DiscoverOptions = { port?: string[]; concurrency?: string; timeoutMs?: string; yes?: boolean };

const POLL_MS = 500;
const RESULTS_PAGE_SIZE = 200;
const FINISHED = new Set(["done", "cancelled", "failed"]);

/** discover: scan networks for SSH servers; Ctrl-C cancels the scan on the server too. */
export function registerDiscoverCommands(program: Command): void {
  program
    .command("discover")
    .description("Scan networks for SSH servers (only networks an admin allowed)")
    .argument("<spec...>", "CIDR blocks (10.0.0.0/24), ranges (10.0.0.5-10.0.0.9) or host names")
    .option("--port <port>", "port to probe, repeatable (default: 22)", collect)
    .option("--concurrency <n>", "probes at once")
    .option("--timeout-ms <n>", "give up on a probe after this long")
    .option("--yes", "confirm a large scan")
    .action(
      withContext(async (ctx, specs: string[], opts: DiscoverOptions) => {
        const ports = (opts.port ?? []).map((p) => {
          const n = positiveInt("--port", p)!;
          if (n > 65535) throw new CliError("--port must be at most 65535");
          return n;
        });
        const { client } = await ctx.connect();
        const { scanId } = await client.assets.discovery.start.mutate({
          specs,
          ports: ports.length ? ports : undefined,
          concurrency: positiveInt("--concurrency", opts.concurrency),
          timeoutMs: positiveInt("--timeout-ms", opts.timeoutMs),
          confirmLarge: opts.yes ?? false,
        });

        // First Ctrl-C asks the server to stop the scan and waits for it to say so; a second one leaves.
        let cancelling = false;
        const onInterrupt = () => {
          if (cancelling) process.exit(130);
          cancelling = true;
          ctx.out.note("\ncancelling the scan (Ctrl-C again to leave it running)");
          void client.assets.discovery.cancel.mutate({ scanId }).catch((e: Error) => ctx.out.note(`could not cancel: ${e.message}`));
        };
        process.on("SIGINT", onInterrupt);
        const progress = createProgressLine(ctx.out);
        let state: Progress;
        try {
          state = await client.assets.discovery.get.query({ scanId });
          for (;;) {
            progress.update(`${state.done}/${state.total} probes, ${state.found} found (${state.status})`);
            if (FINISHED.has(state.status)) break;
            await sleep(POLL_MS);
            state = await client.assets.discovery.get.query({ scanId });
          }
        } finally {
          progress.end();
          process.off("SIGINT", onInterrupt);
        }

        if (state.status === "failed") throw new CliError(`the scan failed: ${state.error ?? "no reason given"}`);
        const results = await openResults(client, scanId);
        ctx.out.result({ scan: state, results }, () => {
          if (results.length === 0) ctx.out.line("No SSH servers found.");
          else
            ctx.out.table(
              ["ADDRESS", "PORT", "BANNER", "KEY TYPE", "FINGERPRINT", "REVERSE DNS", "MATCH"],
              results.map((r) => [
                r.address,
                String(r.port),
                r.banner ?? "-",
                r.hostKeyType ?? "-",
                r.hostKeyFingerprint ?? "-",
                r.reverseDns ?? "-",
                r.match,
              ]),
            );
        });
        if (state.status === "cancelled") {
          ctx.out.note("The scan was cancelled: the results are partial.");
          process.exitCode = 130;
        }
      }),
    );
}

type Progress = Awaited<ReturnType<OpsClient["assets"]["discovery"]["get"]["query"]>>;

async function openResults(client: OpsClient, scanId: string) {
  const all = [];
  for (let page = 1; ; page++) {
    const result = await client.assets.discovery.listResults.query({ scanId, page, pageSize: RESULTS_PAGE_SIZE, openOnly: true });
    all.push(...result.items);
    if (result.items.length === 0 || all.length >= result.total) return all;
  }
}
