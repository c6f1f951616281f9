// Browser-safe entry points into @ops/domain: its index also exports server code
// (argon2, database), so the web imports the schema modules directly.
export * as identitySchemas from "@ops/domain/schemas/identity";
export * as communicationSchemas from "@ops/domain/schemas/communication";
export * as targetSchemas from "@ops/domain/schemas/assets-targets";
export * as credentialSchemas from "@ops/domain/schemas/assets-credentials";
// Not assets-discovery: it imports enum values from @ops/db, which would pull the database
// driver into the bundle. The discovery pages import its types only and let the server validate.
export * as jobSchemas from "@ops/domain/schemas/automation-jobs";
export * as runSchemas from "@ops/domain/schemas/automation-runs";
