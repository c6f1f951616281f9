import { assetsTargetSchemas as s, removeRelationship as removeRelationshipVerb } from "@ops/domain";
import { can } from "../../../trpc";

export const removeRelationship = can("targets.manage")
  .input(s.relationshipInput)
  .output(s.relationshipResult)
  .mutation(({ ctx, input }) => removeRelationshipVerb({ ctx, input }));
