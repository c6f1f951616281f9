import { z } from "zod";

export const uuid = z.uuid({ message: "Must be a valid id" });

/** Server-side pagination, shared by every list. */
export const pageInput = z.object({
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(25),
});
export type PageInput = z.infer<typeof pageInput>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
}
export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };

export const isoDate = z.string();
