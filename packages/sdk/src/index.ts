export { createOpsClient, type OpsClient, type OpsClientOptions, type OpsInputs, type OpsOutputs } from "./client";
export { OpsError, toOpsError } from "./ops-error";
