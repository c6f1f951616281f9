import { z } from "zod";
import { logout as logoutVerb } from "@ops/domain";
import { publicProcedure } from "../../../trpc";

/** Public so an expired browser can always clear its cookie; ends the session server-side. */
export const logout = publicProcedure.output(z.object({ ok: z.literal(true), ended: z.boolean() })).mutation(async ({ ctx }) => {
  ctx.cookies.clear();
  const { ended } = await logoutVerb({ ctx });
  return { ok: true as const, ended };
});
