import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";

export type FinishedRunFixture = {
  hosts: number;
  linesPerHost: number;
  /** Lines per stored chunk; the chunks of the hosts interleave in sequence order, as hosts running side by side write them. */
  chunk?: number;
  /** Host names are `${prefix}-${ordinal}`. */
  prefix?: string;
  title?: string;
};

/** The text of a fixture line: unique per host and line number, about 60 characters like a real log. */
export const fixtureLine = (prefix: string, ordinal: number, n: number) =>
  `${prefix}-${ordinal} line ${n}: the quick brown fox jumps over the lazy dog`;

/**
 * A finished ad-hoc run (one step, `command`, succeeded on every host) whose output is
 * written straight into `automation.run_output` in the engine's chunk format, without the
 * engine: the page and API tests and the run-page bench need runs of millions of lines
 * in seconds. Sequence numbers are dense from 1, as the engine reserves them; chunk `c`
 * belongs to host `c % hosts`, so host `h`'s line `n` (1-based) has
 * seq = ((n - 1) / chunk * hosts + h) * chunk + (n - 1) % chunk + 1.
 */
export async function createFinishedRun(db: Executor, f: FinishedRunFixture): Promise<{ runId: string; totalLines: number }> {
  const chunk = f.chunk ?? 500;
  const prefix = f.prefix ?? "host";
  if (f.linesPerHost % chunk !== 0) throw new Error("linesPerHost must be a multiple of chunk");
  const total = f.hosts * f.linesPerHost;
  const workflow = {
    version: 1,
    steps: [
      {
        id: "command",
        name: "Command",
        kind: "ssh.command",
        config: { command: "seq", become: false, env: {}, pty: false },
        retries: { count: 0, backoffSeconds: 5, factor: 2 },
        timeoutSeconds: 3600,
        continueOnError: false,
        disabled: false,
        idempotent: false,
        join: "all",
      },
    ],
    edges: [],
  };
  const [run] = await db.execute<{ id: string; day: string }>(sql`
    WITH r AS (
      INSERT INTO automation.runs (kind, workflow, title, state, parallelism, hosts_total, host_steps_total, host_steps_done, started_at, finished_at)
      VALUES ('adhoc', ${JSON.stringify(workflow)}::jsonb, ${f.title ?? `fixture: ${total} lines on ${f.hosts} hosts`}, 'succeeded',
        ${f.hosts}, ${f.hosts}, ${f.hosts}, ${f.hosts}, now(), now())
      RETURNING id)
    INSERT INTO automation.run_output_cursors (run_id, next_seq) SELECT id, ${total + 1} FROM r
    RETURNING run_id AS id, day::text`);
  const { id: runId, day } = run!;
  await db.execute(sql`
    INSERT INTO automation.run_hosts (run_id, ordinal, target_name, state, started_at, finished_at)
    SELECT ${runId}::uuid, o, ${prefix} || '-' || o, 'succeeded', now(), now() FROM generate_series(0, ${f.hosts - 1}::int) o`);
  await db.execute(sql`
    INSERT INTO automation.run_host_steps (run_id, ordinal, step_id, state, attempts, exit_code, started_at, finished_at, output_lines, output_bytes)
    SELECT ${runId}::uuid, o, 'command', 'succeeded', 1, 0, now(), now(), ${f.linesPerHost}, ${f.linesPerHost * 60}
    FROM generate_series(0, ${f.hosts - 1}::int) o`);
  await db.execute(sql`SELECT automation.ensure_run_output_partition(${day}::date)`);
  // A few thousand chunks per statement keeps each INSERT's memory small.
  const chunks = total / chunk;
  for (let from = 0; from < chunks; from += 2000) {
    await db.execute(sql`
      INSERT INTO automation.run_output (run_id, day, seq_from, seq_to, ordinal, step_id, streams, lines)
      SELECT ${runId}::uuid, ${day}::date, c * ${chunk} + 1, c * ${chunk} + ${chunk}, c % ${f.hosts}, 'command',
        array_fill(1::smallint, ARRAY[${chunk}::int]),
        ARRAY(SELECT format('%s-%s line %s: the quick brown fox jumps over the lazy dog', ${prefix}::text, c % ${f.hosts}, (c / ${f.hosts}) * ${chunk} + i)
              FROM generate_series(1, ${chunk}::int) i)
      FROM generate_series(${from}::int, ${Math.min(chunks, from + 2000) - 1}::int) c`);
  }
  return { runId, totalLines: total };
}
