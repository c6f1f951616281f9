// Browser-safe entry points into @ops/domain: its index also exports server code
// (argon2, database), so the web imports the schema modules directly.
export * as identitySchemas from "@ops/domain/schemas/identity";
export * as communicationSchemas from "@ops/domain/schemas/communication";
