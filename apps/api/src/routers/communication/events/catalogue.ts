import { z } from "zod";
import { communicationDeliverySchemas as s, eventCatalogue } from "@ops/domain";
import { can } from "../../../trpc";

/** Event types for rule forms and the template variables page. */
export const catalogue = can("notifications.read")
  .output(z.array(s.eventCatalogueEntry))
  .query(() => eventCatalogue());
