import { once } from "node:events";
import type { Request, Response } from "express";
import { z } from "zod";
import { automationRunSchemas as s, can, getRun, readRunOutput, type DomainContext } from "@ops/domain";
import { toTRPCError } from "../trpc";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";

const PAGE_LINES = 5_000;
const query = z.object({
  ordinal: z.coerce.number().int().min(0).optional(),
  step: z.string().min(1).max(200).optional(),
  q: s.outputInput.shape.query,
});

/**
 * GET /api/runs/:runId/output.txt[?ordinal=N][&step=ID][&q=TEXT]: a run's whole output as
 * plain text, each line prefixed by its host's name, or one host's lines as they are;
 * only one step's, only lines containing TEXT (the log pane's "Lines shown"). Streamed a page at
 * a time (a 2M-line run never sits in memory), with the same sign-in as tRPC (session
 * cookie or Bearer token) and the runs.read permission.
 */
export function runOutputDownload(createContext: (req: Request, res: Response) => Promise<DomainContext>) {
  return async (req: Request, res: Response) => {
    const fail = (status: number, code: string, message: string) =>
      void res.status(status).json({ error: { message, code, data: { code, httpStatus: status, requestId: req.id } } });
    const runId = s.runIdInput.shape.runId.safeParse(req.params.runId);
    const q = query.safeParse(req.query);
    if (!runId.success || !q.success)
      return fail(400, "BAD_REQUEST", "Give a run id and, optionally, a host ordinal (?ordinal=N), a step (&step=ID) and a text (&q=TEXT)");
    let ctx: DomainContext;
    try {
      ctx = await createContext(req, res);
      if (!ctx.principal) return fail(401, "UNAUTHORIZED", "Sign in first");
      if (!can(ctx.principal, "runs.read")) return fail(403, "FORBIDDEN", 'You need the "runs.read" permission');
      const run = await getRun({ ctx, input: { runId: runId.data } });
      const ordinal = q.data.ordinal;
      const host = ordinal === undefined ? null : run.hosts.find((h) => h.ordinal === ordinal);
      if (host === undefined) return fail(404, "NOT_FOUND", `Run ${run.id} has no host ${ordinal}`);
      if (run.outputExpired) return fail(410, "GONE", "The output of this run has expired (retention)");
      const names = new Map(run.hosts.map((h) => [h.ordinal, h.targetName]));
      const file = `run-${run.id}${host ? `-${host.targetName.replace(/[^A-Za-z0-9._-]/g, "_")}` : ""}.txt`;
      res.status(200);
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.setHeader("Content-Disposition", `attachment; filename="${file}"`);
      res.setHeader("Cache-Control", "no-store");
      for (let after = 0; !res.destroyed;) {
        const page = await readRunOutput({
          ctx,
          input: { runId: run.id, afterSeq: after, ordinal, stepId: q.data.step, query: q.data.q, limit: PAGE_LINES },
        });
        if (page.lines.length === 0) break;
        const text = page.lines.map((l) => (host ? l.text : `[${names.get(l.ordinal) ?? l.ordinal}] ${l.text}`)).join("\n") + "\n";
        if (!res.write(text)) await once(res, "drain");
        after = page.lastSeq;
      }
      res.end();
    } catch (e) {
      if (res.headersSent) return void res.destroy(); // a cut-off download, not a complete-looking one
      const error = toTRPCError(e, req.id);
      fail(getHTTPStatusCodeFromError(error), error.code, error.message);
    }
  };
}
