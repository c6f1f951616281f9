import { z } from "zod";
import { identitySchemas as s, listMySessions } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const list = sessionProcedure.output(z.array(s.sessionView)).query(({ ctx }) => listMySessions({ ctx }));
