import type { TargetDetail } from "@ops/domain/schemas/assets-targets";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { X } from "lucide-react";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { targetSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { ErrorAlert } from "../../components/form";

type Kind = (typeof targetSchemas.RELATIONSHIP_KINDS)[number];
const KIND_TEXT: Record<Kind, { out: string; in: string }> = {
  depends_on: { out: "depends on", in: "is depended on by" },
  runs_on: { out: "runs on", in: "hosts" },
};

/** Both directions: "this depends on X" and "Y depends on this"; add and remove outgoing or incoming. */
export function RelationshipsCard({ target, canManage, onChanged }: { target: TargetDetail; canManage: boolean; onChanged: () => void }) {
  const [kind, setKind] = useState<Kind>("depends_on");
  const [direction, setDirection] = useState<"out" | "in">("out");
  const [otherId, setOtherId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const others = useQuery({
    ...trpc.assets.targets.list.queryOptions({ page: 1, pageSize: 200, sort: "name", dir: "asc" }),
    enabled: canManage,
  });
  const onError = (e: unknown) => setError(describeError(e));
  const add = useMutation(trpc.assets.targets.addRelationship.mutationOptions({ onSuccess: () => (setOtherId(""), onChanged()), onError }));
  const remove = useMutation(trpc.assets.targets.removeRelationship.mutationOptions({ onSuccess: onChanged, onError }));
  const pair = (dir: "out" | "in", other: string) =>
    dir === "out" ? { fromId: target.id, toId: other } : { fromId: other, toId: target.id };

  return (
    <div className="card h-100" data-testid="relationships-card">
      <div className="card-header fw-semibold">Relationships</div>
      <div className="card-body">
        <ErrorAlert error={error} />
        {target.relationships.length === 0 && target.jumpHostFor.length === 0 && (
          <div className="small text-body-secondary mb-2">No relationships.</div>
        )}
        <ul className="list-unstyled small mb-2">
          {target.relationships.map((r) => (
            <li key={`${r.direction}-${r.kind}-${r.other.id}`} className="d-flex align-items-center gap-2 py-1">
              <span>
                This {KIND_TEXT[r.kind][r.direction]}{" "}
                <Link to="/targets/$id" params={{ id: r.other.id }}>
                  {r.other.name}
                </Link>
              </span>
              {canManage && (
                <button
                  type="button"
                  className="btn btn-link btn-sm p-0 text-danger ms-auto"
                  aria-label={`Remove relationship with ${r.other.name}`}
                  onClick={() => remove.mutate({ ...pair(r.direction, r.other.id), kind: r.kind })}
                >
                  <X size={14} />
                </button>
              )}
            </li>
          ))}
          {target.jumpHostFor.map((o) => (
            <li key={`jump-${o.id}`} className="py-1">
              Jump host for{" "}
              <Link to="/targets/$id" params={{ id: o.id }}>
                {o.name}
              </Link>
            </li>
          ))}
        </ul>
        {canManage && (
          <div className="d-flex flex-wrap gap-2">
            <select
              className="form-select form-select-sm"
              style={{ maxWidth: 200 }}
              aria-label="Relationship"
              value={`${direction}:${kind}`}
              onChange={(e) => {
                const [d, k] = e.target.value.split(":") as ["out" | "in", Kind];
                setDirection(d);
                setKind(k);
              }}
            >
              {targetSchemas.RELATIONSHIP_KINDS.flatMap((k) =>
                (["out", "in"] as const).map((d) => (
                  <option key={`${d}:${k}`} value={`${d}:${k}`}>
                    This {KIND_TEXT[k][d]}
                  </option>
                )),
              )}
            </select>
            <select
              className="form-select form-select-sm"
              style={{ maxWidth: 220 }}
              aria-label="Other target"
              value={otherId}
              onChange={(e) => setOtherId(e.target.value)}
            >
              <option value="">Choose a target</option>
              {(others.data?.items ?? [])
                .filter((o) => o.id !== target.id)
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
            </select>
            <button
              type="button"
              className="btn btn-sm btn-outline-primary"
              disabled={!otherId || add.isPending}
              onClick={() => add.mutate({ ...pair(direction, otherId), kind })}
            >
              Add
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
