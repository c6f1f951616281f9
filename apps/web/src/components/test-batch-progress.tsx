import type { ConnectionTestView } from "@ops/domain/schemas/assets-connection-tests";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { trpc } from "../app/trpc";
import { ProgressBar } from "./progress-bar";

/** Failed tests grouped by what went wrong, largest group first: 25 refusals are one line, not 25. */
function groupFailures(tests: ConnectionTestView[]) {
  const groups = new Map<string, ConnectionTestView[]>();
  for (const t of tests) {
    const why = t.cause ?? t.error ?? "failed";
    groups.set(why, [...(groups.get(why) ?? []), t]);
  }
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
}

/** Live progress of a connection-test batch: polls every second until every test is done. */
export function TestBatchProgress(props: { batchId: string; onFinished?: () => void; listFailures?: boolean }) {
  const batch = useQuery({
    ...trpc.assets.connectionTests.getBatch.queryOptions({ batchId: props.batchId }),
    refetchInterval: (q) => (q.state.data && q.state.data.done >= q.state.data.total ? false : 1000),
  });
  const finished = !!batch.data && batch.data.done >= batch.data.total;
  // Once per batch, however often the finished batch is refetched.
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (!finished || reported.current === props.batchId) return;
    reported.current = props.batchId;
    props.onFinished?.();
  }, [finished, props.batchId]);
  if (batch.isError) return <div className="small text-danger">Could not follow the test's progress.</div>;
  if (!batch.data) return <div className="small text-body-secondary">Starting test…</div>;
  const d = batch.data;
  const failures = props.listFailures ? groupFailures(d.tests.filter((t) => t.status === "failed")) : [];
  return (
    <div>
      <ProgressBar done={d.done} total={d.total} passed={d.passed} failed={d.failed} label="Connection tests" testId="test-progress" />
      {failures.length > 0 && (
        <ul className="list-unstyled small text-danger mb-0 mt-1" data-testid="test-failures">
          {failures.map(([why, tests]) => (
            <li key={why} data-testid="test-failure-group">
              {tests.length === 1 ? (
                <>
                  {tests[0]!.targetName}: {why}
                </>
              ) : (
                <details>
                  <summary>
                    {tests.length} targets: {why}
                  </summary>
                  <ul className="mb-1">
                    {tests.map((t) => (
                      <li key={t.id}>{t.targetName}</li>
                    ))}
                  </ul>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
