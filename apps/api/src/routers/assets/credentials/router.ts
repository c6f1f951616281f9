import { router } from "../../../trpc";
import { create } from "./create";
import { remove } from "./delete";
import { get } from "./get";
import { list } from "./list";
import { update } from "./update";

/**
 * The vault is write-only: no procedure here returns a secret. Decryption happens in
 * the worker only (openCredentialForUse in @ops/domain).
 */
export const credentialsRouter = router({ list, get, create, update, delete: remove });
