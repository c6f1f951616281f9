import type { VerbArgs } from "../../context";
import { findUsableSetupToken } from "./setup-tokens";

/** Public: which account a setup link is for, so the page can greet the user. */
export async function inspectSetupToken({ ctx, input }: VerbArgs<{ token: string }>): Promise<{ email: string }> {
  const { user } = await findUsableSetupToken(ctx.services.db, input.token);
  return { email: user.email };
}
