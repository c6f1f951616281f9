import { assetsTargetSchemas as s, addRelationship as addRelationshipVerb } from "@ops/domain";
import { can } from "../../../trpc";

export const addRelationship = can("targets.manage")
  .input(s.relationshipInput)
  .output(s.relationshipResult)
  .mutation(({ ctx, input }) => addRelationshipVerb({ ctx, input }));
