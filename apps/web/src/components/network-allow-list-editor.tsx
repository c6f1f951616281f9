import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useFormErrors, type FieldErrors } from "../app/errors";
import { Field, inputClass } from "./form";

export type AllowedNetworkLine = { cidr: string; note: string };

/** "cidr  note" per line. */
function parseLines(text: string): AllowedNetworkLine[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [cidr = "", ...rest] = l.split(/\s+/);
      return { cidr, note: rest.join(" ") };
    });
}

function formatLines(networks: AllowedNetworkLine[]): string {
  return networks.map((n) => (n.note ? `${n.cidr} ${n.note}` : n.cidr)).join("\n");
}

/** The API reports `<field>.<index>...`; the user sees lines, so the messages name the line. */
function lineErrors(field: string) {
  const pattern = new RegExp(`^${field}\\.(\\d+)`);
  return (errors: FieldErrors): FieldErrors => {
    const out: FieldErrors = {};
    for (const [key, messages] of Object.entries(errors)) {
      const m = pattern.exec(key);
      (out[field] ??= []).push(...messages.map((msg) => (m ? `Line ${Number(m[1]) + 1}: ${msg}` : msg)));
    }
    return out;
  };
}

/**
 * A textarea editing an allow-list of networks, one CIDR per line optionally followed by a
 * note, saved whole. Used by discovery's scannable networks and by the outbound networks.
 */
export function NetworkAllowListEditor(props: {
  /** The saved list; undefined while loading. */
  networks: AllowedNetworkLine[] | undefined;
  /** The input field the API reports errors under, e.g. "networks". */
  field: string;
  save: (networks: AllowedNetworkLine[]) => Promise<AllowedNetworkLine[]>;
  onSaved: () => Promise<void>;
  id: string;
  label: string;
  help: string;
  placeholder: string;
  rows: number;
  saveLabel: string;
  saveClassName: string;
  saveTestId: string;
  savedTestId: string;
}) {
  const [text, setText] = useState<string | null>(null);
  const { errors, setErrors, error, setError, onError } = useFormErrors({ onlyBesideFields: true, mapFields: lineErrors(props.field) });
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (props.networks && text === null) setText(formatLines(props.networks));
  }, [props.networks]);
  const save = useMutation({
    mutationFn: props.save,
    onSuccess: async (rows) => {
      setSaved(true);
      setText(formatLines(rows));
      await props.onSaved();
    },
    onError,
  });
  const submit = () => {
    setSaved(false);
    setError(null);
    setErrors({});
    save.mutate(parseLines(text ?? ""));
  };
  return (
    <>
      <Field id={props.id} name={props.field} label={props.label} errors={errors} help={props.help} value={text}>
        {(invalid) => (
          <textarea
            id={props.id}
            rows={props.rows}
            className={inputClass(invalid, "form-control font-monospace")}
            value={text ?? ""}
            onChange={(e) => (setText(e.target.value), setSaved(false))}
            placeholder={props.placeholder}
            spellCheck={false}
          />
        )}
      </Field>
      {error && <div className="text-danger small mb-2">{error}</div>}
      <div className="d-flex align-items-center gap-2">
        <button type="button" className={props.saveClassName} disabled={save.isPending} onClick={submit} data-testid={props.saveTestId}>
          {props.saveLabel}
        </button>
        {saved && (
          <span className="text-success small" data-testid={props.savedTestId}>
            Saved
          </span>
        )}
      </div>
    </>
  );
}
