import type { ProgressEvent, RunView } from "@ops/domain/schemas/automation-runs";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { trpc, trpcClient } from "../../app/trpc";

/**
 * Live progress over SSE (`runs.onProgress`): each snapshot is merged into the cached run
 * (counters, state, the hosts that changed) and the grid's host pages are refreshed.
 * Answers whether the stream is live; while it is not, the page polls instead.
 */
export function useRunProgress(runId: string, finished: boolean) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (finished) return;
    const key = trpc.automation.runs.get.queryKey({ runId });
    let refreshing: ReturnType<typeof setTimeout> | null = null;
    const subscription = trpcClient.automation.runs.onProgress.subscribe(
      { runId },
      {
        onStarted: () => setLive(true),
        onData: (event: ProgressEvent) => {
          queryClient.setQueryData<RunView>(key, (run) => {
            if (!run) return run;
            const changed = new Map(event.hosts.map((h) => [h.ordinal, h]));
            return {
              ...run,
              state: event.state,
              progress: event.progress,
              hostsFailed: event.hostsFailed,
              hosts: run.hosts.map((h) => changed.get(h.ordinal) ?? h),
            };
          });
          // The grid pages hosts itself; one refresh per burst of changes.
          refreshing ??= setTimeout(() => {
            refreshing = null;
            void queryClient.invalidateQueries(trpc.automation.runs.hosts.queryFilter());
          }, 300);
        },
        onError: () => setLive(false),
        onComplete: () => {
          setLive(false);
          // Finished: the full run (finish time, every host's last word).
          void queryClient.invalidateQueries({ queryKey: key });
        },
      },
    );
    return () => {
      subscription.unsubscribe();
      if (refreshing) clearTimeout(refreshing);
    };
  }, [runId, finished]);
  return live;
}
