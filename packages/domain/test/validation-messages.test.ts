import { describe, expect, it } from "vitest";
import { z } from "zod";
import { assetsTargetSchemas, communicationSchemas, identitySchemas, pageInput } from "../src/index";

/** Every message for `input` against `schema`, as "path: message". */
function messages(schema: z.ZodType, input: unknown): string[] {
  const parsed = schema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`);
}

describe("validation messages are written for people (C7)", () => {
  it("says what to do for lengths, counts, numbers and missing fields", () => {
    expect(messages(identitySchemas.updateRoleInput, { id: "00000000-0000-4000-8000-000000000000", description: "x".repeat(301) })).toEqual(
      ["description: At most 300 characters"],
    );
    expect(messages(pageInput, { page: "two", pageSize: 2.5 })).toEqual(["page: Enter a number", "pageSize: Enter a whole number"]);
    expect(messages(pageInput, { pageSize: 500 })).toEqual(["pageSize: At most 200"]);
    expect(messages(identitySchemas.updateUserInput, { id: "nope" })).toEqual(["id: Must be a valid id", "displayName: Required"]);
    expect(messages(identitySchemas.updateProfileInput, { theme: "blue" })).toEqual(["theme: Choose one of: light, dark"]);
    expect(messages(communicationSchemas.listAuditInput, { from: "yesterday" })).toEqual([
      "from: Enter a date and time (ISO 8601, e.g. 2026-01-31T09:00:00Z)",
    ]);
    expect(
      messages(identitySchemas.setUserRolesInput, {
        id: "00000000-0000-4000-8000-000000000000",
        roleIds: Array(51).fill("00000000-0000-4000-8000-000000000000"),
      }),
    ).toEqual(["roleIds: At most 50 items"]);
  });

  it("keeps the messages a schema gives itself, including for record keys", () => {
    expect(messages(identitySchemas.createTokenInput, { name: "", permissions: [] })).toEqual([
      "name: Name the token",
      "permissions: Choose at least one permission",
    ]);
    expect(messages(assetsTargetSchemas.labels, { "Bad Key!": "x" })).toEqual([`Bad Key!: ${assetsTargetSchemas.LABEL_KEY_MESSAGE}`]);
  });

  it("never shows zod's own wording", () => {
    const raw = [
      ...messages(identitySchemas.createRoleInput, { name: 7, description: "x".repeat(400), permissions: ["nope"], requireMfa: "yes" }),
      ...messages(identitySchemas.loginInput, { email: "x".repeat(300), password: "" }),
    ];
    expect(raw.length).toBeGreaterThan(3);
    for (const m of raw) expect(m).not.toMatch(/Too big|Too small|Invalid input|expected|received/i);
  });
});
