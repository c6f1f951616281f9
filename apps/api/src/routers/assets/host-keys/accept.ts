import { acceptHostKey, assetsConnectionTestSchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const accept = can("hostkeys.accept")
  .input(s.acceptHostKeyInput)
  .output(s.hostKeyView)
  .mutation(({ ctx, input }) => acceptHostKey({ ctx, input }));
