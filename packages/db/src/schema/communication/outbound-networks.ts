import { text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../columns";
import { users } from "../identity/users";
import { communication } from "./audit-log";

/**
 * Networks an admin allowed outbound connections to, platform-wide: `http.request` steps
 * and webhooks may reach addresses here that the outbound rules otherwise refuse
 * (loopback, private, link-local, metadata). `cidr` is normalised (IPv4 or IPv6).
 */
export const outboundAllowedNetworks = communication.table("outbound_allowed_networks", {
  id: id(),
  cidr: text("cidr").notNull().unique(),
  note: text("note").notNull().default(""),
  createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: createdAt(),
});
