import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useFormErrors, type FieldErrors } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { Field, inputClass } from "../../components/form";
import { Loading } from "../../components/states";

/** "cidr  note" per line. */
function parseLines(text: string) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [cidr = "", ...rest] = l.split(/\s+/);
      return { cidr, note: rest.join(" ") };
    });
}

function lineErrors(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const m = /^cidrs\.(\d+)/.exec(key);
    (out.cidrs ??= []).push(...messages.map((msg) => (m ? `Line ${Number(m[1]) + 1}: ${msg}` : msg)));
  }
  return out;
}

/** The networks discovery may scan; one CIDR per line, optionally followed by a note. */
export function AllowedNetworksEditor({ canConfigure }: { canConfigure: boolean }) {
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.assets.discoveryNetworks.list.queryOptions());
  const [text, setText] = useState<string | null>(null);
  const { errors, setErrors, error, setError, onError } = useFormErrors({ onlyBesideFields: true, mapFields: lineErrors });
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (networks.data && text === null) setText(networks.data.map((n) => (n.note ? `${n.cidr} ${n.note}` : n.cidr)).join("\n"));
  }, [networks.data]);
  const save = useMutation(
    trpc.assets.discoveryNetworks.set.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries(trpc.assets.discoveryNetworks.pathFilter());
      },
      onError,
    }),
  );
  if (networks.isPending) return <Loading />;
  if (!canConfigure) {
    return (
      <ul className="small mb-0" data-testid="allowed-networks">
        {(networks.data ?? []).length === 0 && <li>None: discovery cannot scan until an administrator allows a network.</li>}
        {(networks.data ?? []).map((n) => (
          <li key={n.id}>
            <code>{n.cidr}</code> {n.note}
          </li>
        ))}
      </ul>
    );
  }
  const submit = () => {
    setSaved(false);
    setError(null);
    setErrors({});
    save.mutate({ cidrs: parseLines(text ?? "") });
  };
  return (
    <div>
      <Field
        id="allowed-networks"
        name="cidrs"
        label="Allowed networks"
        errors={errors}
        help="One CIDR block per line, optionally followed by a note. Empty: discovery may scan nothing."
        value={text}
      >
        {(invalid) => (
          <textarea
            id="allowed-networks"
            rows={4}
            className={inputClass(invalid, "form-control font-monospace")}
            value={text ?? ""}
            onChange={(e) => (setText(e.target.value), setSaved(false))}
            placeholder="e.g. 10.0.0.0/16 office"
            spellCheck={false}
          />
        )}
      </Field>
      {error && <div className="text-danger small mb-2">{error}</div>}
      <div className="d-flex align-items-center gap-2">
        <button
          type="button"
          className="btn btn-outline-primary btn-sm"
          disabled={save.isPending}
          onClick={submit}
          data-testid="save-networks"
        >
          Save networks
        </button>
        {saved && (
          <span className="text-success small" data-testid="networks-saved">
            Saved
          </span>
        )}
      </div>
    </div>
  );
}
