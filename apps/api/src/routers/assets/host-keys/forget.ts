import { assetsConnectionTestSchemas as s, forgetHostKey } from "@ops/domain";
import { can } from "../../../trpc";

export const forget = can("hostkeys.accept")
  .input(s.forgetHostKeyInput)
  .output(s.hostKeyView)
  .mutation(({ ctx, input }) => forgetHostKey({ ctx, input }));
