import { useMutation } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState, type FormEvent } from "react";
import { serverFieldErrors, useFormErrors, type FieldErrors } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { ErrorAlert, InputField, TextareaField } from "../../components/form";

/** "specs.3" -> "Line 4"; the textarea holds one spec per line. */
function lineErrors(errors: FieldErrors, lines: number[]): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const m = /^specs\.(\d+)$/.exec(key);
    if (m) (out.specs ??= []).push(...messages.map((msg) => `Line ${(lines[Number(m[1])] ?? Number(m[1])) + 1}: ${msg}`));
    else if (/^ports\.\d+$/.test(key)) (out.ports ??= []).push(...messages);
    else out[key] = messages;
  }
  return out;
}

export function NewScanForm(props: { onStarted: () => void }) {
  const navigate = useNavigate();
  const [specsText, setSpecsText] = useState("");
  const [portsText, setPortsText] = useState("22");
  const [concurrency, setConcurrency] = useState("500");
  const [timeoutMs, setTimeoutMs] = useState("1000");
  const [confirming, setConfirming] = useState<string | null>(null);

  const parse = () => {
    const raw = specsText.split("\n");
    const lines: number[] = [];
    const specs: string[] = [];
    raw.forEach((l, i) => {
      if (l.trim()) {
        lines.push(i);
        specs.push(l.trim());
      }
    });
    // Each entry a port or a range ("22100-22110"); the server's schema checks them one by one.
    const ports = portsText.split(/[\s,]+/).filter(Boolean);
    return { lines, body: { specs, ports, concurrency: Number(concurrency), timeoutMs: Number(timeoutMs) } };
  };

  const { errors, setErrors, error, setError, onError } = useFormErrors({
    onlyBesideFields: true,
    mapFields: (fields) => lineErrors(fields, parse().lines),
  });

  const start = useMutation(
    trpc.assets.discovery.start.mutationOptions({
      onSuccess: async (r) => {
        setSpecsText("");
        setConfirming(null);
        props.onStarted();
        await navigate({ to: "/discovery/$scanId", params: { scanId: r.scanId } });
      },
      onError: (e, input) => {
        const fields = serverFieldErrors(e);
        if (fields.confirmLarge && !input.confirmLarge) {
          setConfirming(fields.confirmLarge.join(" "));
          return;
        }
        setConfirming(null);
        onError(e);
      },
    }),
  );

  const submit = (e: FormEvent, confirmLarge = false) => {
    e.preventDefault();
    setError(null);
    const { lines, body } = parse();
    // The spec grammar lives in the server's schema; it answers with per-line field errors.
    const local: FieldErrors = {};
    if (body.specs.length === 0) local.specs = ["Enter at least one address, range, CIDR block or host name"];
    if (body.ports.length === 0) local.ports = ["Enter at least one port, e.g. 22, 2222 or a range 22100-22110"];
    if (!Number.isInteger(body.concurrency) || body.concurrency < 1) local.concurrency = ["A whole number, at least 1"];
    if (!Number.isInteger(body.timeoutMs) || body.timeoutMs < 100) local.timeoutMs = ["At least 100 ms"];
    if (Object.keys(local).length) return setErrors(lineErrors(local, lines));
    setErrors({});
    start.mutate({ ...body, confirmLarge });
  };

  return (
    <form onSubmit={submit} noValidate data-testid="new-scan-form">
      <ErrorAlert error={error} />
      <TextareaField
        id="scan-specs"
        name="specs"
        label="Addresses to scan, one per line"
        errors={errors}
        help="CIDR block (10.0.0.0/24), range (10.0.0.5-10.0.0.9 or 10.0.0.5-9), address or host name."
        rows={4}
        base="form-control font-monospace"
        value={specsText}
        onChange={setSpecsText}
        spellCheck={false}
      />
      <div className="row">
        <div className="col-12 col-sm-4">
          <InputField
            id="scan-ports"
            name="ports"
            label="Ports"
            errors={errors}
            help="Comma-separated; ranges like 22100-22110."
            value={portsText}
            onChange={setPortsText}
          />
        </div>
        <div className="col-6 col-sm-4">
          <InputField
            id="scan-concurrency"
            name="concurrency"
            label="Concurrency"
            errors={errors}
            inputMode="numeric"
            value={concurrency}
            onChange={setConcurrency}
          />
        </div>
        <div className="col-6 col-sm-4">
          <InputField
            id="scan-timeout"
            name="timeoutMs"
            label="Timeout (ms)"
            errors={errors}
            inputMode="numeric"
            value={timeoutMs}
            onChange={setTimeoutMs}
          />
        </div>
      </div>
      <button type="submit" className="btn btn-primary" disabled={start.isPending} data-testid="start-scan">
        {start.isPending ? "Starting…" : "Start scan"}
      </button>
      {confirming && (
        <ConfirmDialog
          title="Large scan"
          confirmLabel="Scan anyway"
          busy={start.isPending}
          onClose={() => setConfirming(null)}
          onConfirm={() => submit({ preventDefault() {} } as FormEvent, true)}
        >
          <p className="mb-0">{confirming}</p>
        </ConfirmDialog>
      )}
    </form>
  );
}
