import { PERMISSION_GROUPS, PERMISSIONS, type Permission } from "@ops/domain/permissions";

export type PermissionGroup = { domain: string; permissions: { permission: Permission; description: string }[] };

/** The shared catalogue, for pages whose user may not hold roles.read (API tokens). */
export const LOCAL_CATALOGUE: PermissionGroup[] = PERMISSION_GROUPS.map((g) => ({
  domain: g.domain,
  permissions: g.permissions.map((permission) => ({ permission, description: PERMISSIONS[permission] })),
}));

/** Permissions grouped by domain; `allowed` limits which are offered. */
export function PermissionChecklist(props: {
  value: Permission[];
  onChange?: (next: Permission[]) => void;
  groups?: PermissionGroup[];
  allowed?: readonly Permission[];
  readOnly?: boolean;
  idPrefix: string;
}) {
  const selected = new Set(props.value);
  const toggle = (p: Permission) => {
    const next = new Set(selected);
    if (next.has(p)) next.delete(p);
    else next.add(p);
    props.onChange?.([...next]);
  };
  const groups = (props.groups ?? LOCAL_CATALOGUE)
    .map((g) => ({ ...g, permissions: props.allowed ? g.permissions.filter((p) => props.allowed!.includes(p.permission)) : g.permissions }))
    .filter((g) => g.permissions.length > 0);
  return (
    <div className="row g-3">
      {groups.map((g) => (
        <fieldset key={g.domain} className="col-12 col-md-6">
          <legend className="fs-6 fw-semibold text-capitalize mb-1">{g.domain}</legend>
          {g.permissions.map(({ permission: p, description }) => (
            <div className="form-check" key={p}>
              <input
                className="form-check-input"
                type="checkbox"
                id={`${props.idPrefix}-${p}`}
                checked={selected.has(p)}
                disabled={props.readOnly}
                onChange={() => toggle(p)}
              />
              <label className="form-check-label" htmlFor={`${props.idPrefix}-${p}`}>
                <code>{p}</code> <span className="text-body-secondary small">{description}</span>
              </label>
            </div>
          ))}
        </fieldset>
      ))}
    </div>
  );
}
