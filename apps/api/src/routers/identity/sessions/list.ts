import { z } from "zod";
import { identitySchemas as s, listMySessions } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const list = authedProcedure.output(z.array(s.sessionView)).query(({ ctx }) => listMySessions({ ctx }));
