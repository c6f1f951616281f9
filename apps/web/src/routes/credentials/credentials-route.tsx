import { createRoute } from "@tanstack/react-router";
import { z } from "zod";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { credentialSchemas } from "../../app/schemas";
import { appLayoutRoute } from "../app-layout";
import { CredentialsPage } from "./credentials-page";

export const credentialsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().trim().max(200).optional().catch(undefined),
  kind: credentialSchemas.credentialKind.optional().catch(undefined),
});
export type CredentialsSearch = z.infer<typeof credentialsSearch>;
export const CREDENTIALS_PAGE_SIZE = 25;

export function credentialsListInput(s: CredentialsSearch) {
  return { page: s.page, pageSize: CREDENTIALS_PAGE_SIZE, search: s.search || undefined, kind: s.kind };
}

export const credentialsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/credentials",
  validateSearch: credentialsSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "credentials.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.credentials.list.queryOptions(credentialsListInput(deps)));
  },
  component: requiring("credentials.read", CredentialsPage),
});
