import { isNotNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "@ops/db";
import { credentials, groups, targets } from "@ops/db";
import {
  ADDRESS_MESSAGE,
  LABEL_KEY,
  LABEL_KEY_MESSAGE,
  LABEL_VALUE,
  LABEL_VALUE_MESSAGE,
  OS_FAMILIES,
  PORT_MESSAGE,
  groupName,
  isValidAddress,
  targetName,
  type ImportInput,
  type ImportPreview,
  type ImportedTarget,
} from "../../schemas/assets-targets";
import { BECOME_KINDS, BECOME_KIND_MESSAGE, LOGIN_KINDS, LOGIN_KIND_MESSAGE } from "../targets/target-rules";
import { readImportRows, type ImportColumn, type RawRow } from "./read-import-rows";

export type PlannedRow = {
  line: number;
  errors: string[];
  action: "create" | "update" | "skip";
  target: ImportedTarget | null;
  present: Set<ImportColumn>;
  existingId: string | null;
};
export type ImportPlan = {
  preview: ImportPreview;
  rows: PlannedRow[];
  credentialIds: Map<string, string>;
  groupIds: Map<string, string>;
  existing: Map<string, ExistingTarget>;
};
export type ExistingTarget = typeof targets.$inferSelect & { jumpName: string | null };

const lower = (s: string) => s.toLowerCase();

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** "k=v;k2=v2" (or, in JSON, an object) to labels; errors name the bad part. */
function readLabels(v: unknown, errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs: [string, string][] = [];
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) pairs.push([k.trim(), text(val)]);
  } else {
    for (const part of text(v)
      .split(";")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const at = part.indexOf("=");
      if (at < 1) {
        errors.push(`Label "${part}" is not key=value`);
        continue;
      }
      pairs.push([part.slice(0, at).trim(), part.slice(at + 1).trim()]);
    }
  }
  for (const [k, val] of pairs) {
    if (!LABEL_KEY.test(k)) errors.push(`Label "${k}": ${LABEL_KEY_MESSAGE}`);
    else if (!LABEL_VALUE.test(val)) errors.push(`Label "${k}": ${LABEL_VALUE_MESSAGE}`);
    else out[k] = val;
  }
  if (Object.keys(out).length > 50) errors.push("At most 50 labels");
  return out;
}

function readList(v: unknown): string[] {
  const items = Array.isArray(v) ? v.map(text) : text(v).split(";");
  return [...new Set(items.map((s) => s.trim()).filter(Boolean))];
}

/** What the importing user may do with credentials (issue 6, points 4 and 9). */
export type CredentialAccess = { read: boolean; use: boolean };
export const NAMING_CREDENTIALS_MESSAGE = 'Naming a credential in an import needs the "credentials.read" permission';
export const SETTING_CREDENTIALS_MESSAGE = 'Setting a credential on a target needs the "credentials.use" permission';
export const MOVING_CREDENTIALS_MESSAGE =
  'This target signs in with a credential: changing its address, port or jump host needs the "credentials.use" permission';

/**
 * Reads and checks every row against the database without writing anything. The commit
 * runs the same plan again inside its transaction, so what it writes is what was checked.
 *
 * Without credentials.read, credential names are not looked up at all (the preview must
 * not tell which names exist): a named credential is refused with the same words whatever
 * the name, and an empty credential column leaves the target's credential as it is (a
 * CSV exported by such a user has those columns empty). Setting a credential, or moving
 * a target that has one, needs credentials.use, as in the form.
 */
export async function planImport(db: Executor, input: ImportInput, access: CredentialAccess): Promise<ImportPlan> {
  const raw = readImportRows(input.format, input.content);
  const jump = alias(targets, "jump");
  const [creds, groupRows, existingRows, jumpEdges] = await Promise.all([
    access.read ? db.select({ id: credentials.id, name: credentials.name, kind: credentials.kind }).from(credentials) : Promise.resolve([]),
    db.select({ id: groups.id, name: groups.name }).from(groups),
    db
      .select({ t: targets, jumpName: jump.name })
      .from(targets)
      .leftJoin(jump, sql`${jump.id} = ${targets.jumpHostId}`)
      .where(
        sql`lower(${targets.name}) IN (SELECT lower(x) FROM jsonb_array_elements_text(${JSON.stringify(raw.map((r) => text(r.values.name)))}::jsonb) x)`,
      ),
    db
      .select({ name: targets.name, jumpName: jump.name })
      .from(targets)
      .innerJoin(jump, sql`${jump.id} = ${targets.jumpHostId}`)
      .where(isNotNull(targets.jumpHostId)),
  ]);
  const credByName = new Map(creds.map((c) => [lower(c.name), c]));
  const groupIds = new Map(groupRows.map((g) => [lower(g.name), g.id]));
  const existing = new Map<string, ExistingTarget>(existingRows.map((r) => [lower(r.t.name), { ...r.t, jumpName: r.jumpName }]));
  const credentialIds = new Map<string, string>();
  const groupsToCreate = new Map<string, string>();
  const firstLine = new Map<string, number>();
  let duplicatesInFile = 0;

  const rows: PlannedRow[] = raw.map((r) => checkRow(r));

  function checkRow(r: RawRow): PlannedRow {
    const errors = [...r.problems];
    const v = r.values;
    const nameParsed = targetName.safeParse(text(v.name));
    const name = text(v.name);
    if (!nameParsed.success) errors.push(`Name: ${nameParsed.error.issues[0]!.message}`);
    else {
      const seen = firstLine.get(lower(name));
      if (seen !== undefined) {
        duplicatesInFile++;
        errors.push(`Duplicate name "${name}" (first on line ${seen})`);
      } else firstLine.set(lower(name), r.line);
    }
    const address = text(v.address);
    if (!address) errors.push("Address: enter an address");
    else if (!isValidAddress(address) || address.length > 253) errors.push(`Address "${address}": ${ADDRESS_MESSAGE}`);
    const portText = text(v.port);
    let port = 22;
    if (portText) {
      port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
      if (!(port >= 1 && port <= 65535)) errors.push(`Port "${portText}": ${PORT_MESSAGE}`);
    }
    const osText = lower(text(v.os_family)) || "unknown";
    if (!(OS_FAMILIES as readonly string[]).includes(osText)) errors.push(`OS family "${osText}": use one of ${OS_FAMILIES.join(", ")}`);
    const description = text(v.description);
    if (description.length > 2000) errors.push("Description: at most 2000 characters");
    const labels = readLabels(v.labels, errors);
    const groupNames = readList(v.groups);
    for (const g of groupNames) {
      const ok = groupName.safeParse(g);
      if (!ok.success) errors.push(`Group "${g}": ${ok.error.issues[0]!.message}`);
      else if (!groupIds.has(lower(g)) && !groupsToCreate.has(lower(g))) groupsToCreate.set(lower(g), g);
    }
    const found = existing.get(lower(name));
    const action = found ? (input.onExisting === "update" ? "update" : "skip") : "create";
    const present = new Set(r.present);
    const credential = text(v.credential) || null;
    const become = text(v.become_credential) || null;
    const resolved: Record<"credential" | "become_credential", string | null> = { credential: null, become_credential: null };
    for (const [column, value, label, kinds, kindMessage] of [
      ["credential", credential, "credential", LOGIN_KINDS, LOGIN_KIND_MESSAGE],
      ["become_credential", become, "become credential", BECOME_KINDS, BECOME_KIND_MESSAGE],
    ] as const) {
      if (!value) {
        if (!access.read) present.delete(column);
        continue;
      }
      if (!access.read) {
        errors.push(NAMING_CREDENTIALS_MESSAGE);
        continue;
      }
      const c = credByName.get(lower(value));
      if (!c) errors.push(`Unknown ${label} "${value}"`);
      else if (!kinds.includes(c.kind))
        errors.push(`${label === "credential" ? "Credential" : "Become credential"} "${value}": ${kindMessage}`);
      else {
        credentialIds.set(lower(c.name), c.id);
        resolved[column] = c.id;
      }
    }
    if (!access.use && action !== "skip") {
      // Naming the credential a target already has changes nothing (an export read back).
      const keeps = (column: "credential" | "become_credential", before: string | null) =>
        action === "update" && resolved[column] === before;
      const setsNew =
        access.read &&
        ((present.has("credential") && credential && !keeps("credential", found?.credentialId ?? null)) ||
          (present.has("become_credential") && become && !keeps("become_credential", found?.becomeCredentialId ?? null)));
      if (setsNew) errors.push(SETTING_CREDENTIALS_MESSAGE);
      else if (found && action === "update") {
        const after = (column: "credential" | "become_credential", before: string | null) =>
          present.has(column) ? resolved[column] : before;
        const hasCredential = after("credential", found.credentialId) ?? after("become_credential", found.becomeCredentialId);
        const moved =
          (present.has("address") && lower(address) !== lower(found.address)) ||
          (present.has("port") && port !== found.port) ||
          (present.has("jump_host") && lower(text(v.jump_host)) !== lower(found.jumpName ?? ""));
        if (hasCredential && moved) errors.push(MOVING_CREDENTIALS_MESSAGE);
      }
    }
    const jumpHost = text(v.jump_host) || null;
    if (jumpHost && lower(jumpHost) === lower(name)) errors.push("A target cannot be its own jump host");
    const target: ImportedTarget | null = nameParsed.success
      ? {
          name,
          address,
          port: Number.isFinite(port) ? port : 0,
          osFamily: osText as ImportedTarget["osFamily"],
          description,
          labels,
          groups: groupNames,
          credential,
          becomeCredential: become,
          jumpHost,
        }
      : null;
    return { line: r.line, errors, action, target, present, existingId: found?.id ?? null };
  }

  // Jump hosts: must exist in the database or in this file, and the result must have no cycle.
  const inFile = new Set(rows.filter((r) => r.target && r.action !== "skip").map((r) => lower(r.target!.name)));
  const edges = new Map<string, string>(jumpEdges.map((e) => [lower(e.name), lower(e.jumpName)]));
  const display = new Map<string, string>();
  for (const e of jumpEdges) display.set(lower(e.name), e.name).set(lower(e.jumpName), e.jumpName);
  for (const r of rows) {
    if (!r.target || r.action === "skip") continue;
    display.set(lower(r.target.name), r.target.name);
    const keepsOld = r.action === "update" && !r.present.has("jump_host");
    if (keepsOld) continue;
    if (r.target.jumpHost) edges.set(lower(r.target.name), lower(r.target.jumpHost));
    else edges.delete(lower(r.target.name));
  }
  const unknownJump = new Set<string>();
  for (const r of rows) {
    const j = r.target?.jumpHost;
    if (!j || r.action === "skip") continue;
    if (!inFile.has(lower(j)) && !existing.has(lower(j))) unknownJump.add(lower(j));
  }
  if (unknownJump.size) {
    // Names not seen yet may still exist in the database: one query settles them.
    const hits = await db
      .select({ name: targets.name })
      .from(targets)
      .where(sql`lower(${targets.name}) IN (SELECT x FROM jsonb_array_elements_text(${JSON.stringify([...unknownJump])}::jsonb) x)`);
    for (const h of hits) unknownJump.delete(lower(h.name));
  }
  for (const r of rows) {
    const t = r.target;
    if (!t || r.action === "skip") continue;
    if (t.jumpHost && unknownJump.has(lower(t.jumpHost))) r.errors.push(`Unknown jump host "${t.jumpHost}"`);
    const path = [lower(t.name)];
    let at = edges.get(lower(t.name));
    while (at && path.length < 200) {
      if (at === path[0]) {
        r.errors.push(`Jump hosts make a cycle: ${[...path, at].map((n) => display.get(n) ?? n).join(" → ")}`);
        break;
      }
      if (path.includes(at)) break; // a cycle not through this row; its own rows report it
      path.push(at);
      at = edges.get(at);
    }
  }

  const invalid = rows.filter((r) => r.errors.length).length;
  const preview: ImportPreview = {
    rows: rows.map((r) => ({ line: r.line, ok: r.errors.length === 0, errors: r.errors, action: r.action, target: r.target })),
    valid: rows.length - invalid,
    invalid,
    duplicatesInFile,
    existing: rows.filter((r) => r.existingId && r.target).map((r) => existing.get(lower(r.target!.name))!.name),
    groupsToCreate: [...groupsToCreate.values()].sort((a, b) => a.localeCompare(b)),
  };
  return { preview, rows, credentialIds, groupIds, existing };
}
