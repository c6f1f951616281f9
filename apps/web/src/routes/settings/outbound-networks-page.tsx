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
    const m = /^networks\.(\d+)/.exec(key);
    (out.networks ??= []).push(...messages.map((msg) => (m ? `Line ${Number(m[1]) + 1}: ${msg}` : msg)));
  }
  return out;
}

/**
 * The platform-wide allow-list of the outbound address rules: HTTP request steps and
 * webhooks refuse loopback, private, link-local and metadata addresses unless listed here.
 */
export function OutboundNetworksPage() {
  const queryClient = useQueryClient();
  const networks = useQuery(trpc.communication.outboundNetworks.list.queryOptions());
  const [text, setText] = useState<string | null>(null);
  const { errors, setErrors, error, setError, onError } = useFormErrors({ onlyBesideFields: true, mapFields: lineErrors });
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (networks.data && text === null) setText(networks.data.map((n) => (n.note ? `${n.cidr} ${n.note}` : n.cidr)).join("\n"));
  }, [networks.data]);
  const save = useMutation(
    trpc.communication.outboundNetworks.set.mutationOptions({
      onSuccess: async (rows) => {
        setSaved(true);
        setText(rows.map((n) => (n.note ? `${n.cidr} ${n.note}` : n.cidr)).join("\n"));
        await queryClient.invalidateQueries(trpc.communication.outboundNetworks.pathFilter());
      },
      onError,
    }),
  );
  if (networks.isPending) return <Loading />;
  const submit = () => {
    setSaved(false);
    setError(null);
    setErrors({});
    save.mutate({ networks: parseLines(text ?? "") });
  };
  return (
    <div>
      <h1 className="h3 mb-3">
        <span className="text-body-secondary">Settings</span> / Outbound networks
      </h1>
      <div className="card">
        <div className="card-body">
          <p className="small">
            HTTP request steps (and webhooks) refuse loopback, private, link-local, carrier-grade NAT and cloud metadata addresses, however
            they are spelled, and host names that resolve to them. Networks listed here are allowed all the same.
          </p>
          <Field
            id="outbound-networks"
            name="networks"
            label="Allowed outbound networks"
            errors={errors}
            help="One CIDR block or address per line (IPv4 or IPv6), optionally followed by a note. Empty: only public addresses."
            value={text}
          >
            {(invalid) => (
              <textarea
                id="outbound-networks"
                rows={6}
                className={inputClass(invalid, "form-control font-monospace")}
                value={text ?? ""}
                onChange={(e) => (setText(e.target.value), setSaved(false))}
                placeholder="e.g. 10.20.0.0/16 internal API"
                spellCheck={false}
              />
            )}
          </Field>
          {error && <div className="text-danger small mb-2">{error}</div>}
          <div className="d-flex align-items-center gap-2">
            <button
              type="button"
              className="btn btn-primary btn-sm"
              disabled={save.isPending}
              onClick={submit}
              data-testid="save-outbound-networks"
            >
              Save
            </button>
            {saved && (
              <span className="text-success small" data-testid="outbound-networks-saved">
                Saved
              </span>
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
