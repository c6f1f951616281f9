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

const MAX_PORTS = 100;

/** "22, 2222, 22100-22110" -> the ports, each once; null when a part is not a port or a range. */
export function parsePorts(text: string): number[] | null {
  const ports = new Set<number>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    if (from < 1 || to > 65535 || from > to) return null;
    // Stop past the cap: the size check below refuses it without building a huge list.
    for (let p = from; p <= to && ports.size <= MAX_PORTS; p++) ports.add(p);
  }
  return [...ports];
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
    const ports = parsePorts(portsText);
    return { lines, ports, body: { specs, ports: ports ?? [], concurrency: Number(concurrency), timeoutMs: Number(timeoutMs) } };
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
    const { lines, ports, body } = parse();
    // The spec grammar lives in the server's schema; it answers with per-line field errors.
    const local: FieldErrors = {};
    if (body.specs.length === 0) local.specs = ["Enter at least one address, range, CIDR block or host name"];
    if (!ports || ports.length === 0) local.ports = ["Enter ports from 1 to 65535, e.g. 22, 2222 or a range 22100-22110"];
    else if (ports.length > MAX_PORTS) local.ports = [`At most ${MAX_PORTS} ports per scan`];
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
