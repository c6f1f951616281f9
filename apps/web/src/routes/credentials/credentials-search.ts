import { z } from "zod";
import { credentialKind } from "@ops/domain/schemas/assets-credentials";

export const credentialsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().trim().max(200).optional().catch(undefined),
  kind: credentialKind.optional().catch(undefined),
});
export type CredentialsSearch = z.infer<typeof credentialsSearch>;
export const CREDENTIALS_PAGE_SIZE = 25;

export function credentialsListInput(s: CredentialsSearch) {
  return { page: s.page, pageSize: CREDENTIALS_PAGE_SIZE, search: s.search || undefined, kind: s.kind };
}
