import type { TestChannelResult } from "@ops/domain/schemas/communication-channels";
import { useMutation } from "@tanstack/react-query";
import { Send } from "lucide-react";
import { useState } from "react";
import { describeError } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { splitList } from "../../../app/form-values";

/** "Send test": a sample message through the saved channel now, and what the receiver answered. */
export function ChannelTest(props: { channelId: string; kind: "email" | "webhook"; disabled?: boolean }) {
  const [to, setTo] = useState("");
  const test = useMutation(trpc.communication.channels.test.mutationOptions());
  return (
    <div className="border rounded p-2" data-testid="channel-test">
      <div className="d-flex flex-wrap gap-2 align-items-center">
        {props.kind === "email" && (
          <input
            className="form-control form-control-sm flex-grow-1 w-auto"
            aria-label="Send the test to"
            placeholder="To (default: the channel's recipients, else you)"
            value={to}
            onChange={(e) => setTo(e.target.value)}
          />
        )}
        <button
          type="button"
          className="btn btn-sm btn-outline-primary d-flex align-items-center gap-1"
          disabled={props.disabled || test.isPending}
          onClick={() => test.mutate({ id: props.channelId, to: props.kind === "email" && to.trim() ? splitList(to) : undefined })}
          data-testid="send-test"
        >
          <Send size={14} /> {test.isPending ? "Sending…" : "Send test"}
        </button>
      </div>
      {test.isError && (
        <div className="small text-danger mt-2" role="alert" data-testid="test-result" data-ok="false">
          {describeError(test.error)}
        </div>
      )}
      {test.data && <TestResult result={test.data} />}
    </div>
  );
}

function TestResult({ result: r }: { result: TestChannelResult }) {
  return (
    <div className={`small mt-2 ${r.ok ? "text-success" : "text-danger"}`} role="status" data-testid="test-result" data-ok={String(r.ok)}>
      <strong>{r.ok ? "Delivered" : "Failed"}</strong>
      {r.statusCode !== null && <> · HTTP {r.statusCode}</>} · {r.durationMs} ms
      {r.error && <div className="text-break">{r.error}</div>}
      {r.responseExcerpt && (
        <pre className="small bg-body-tertiary border rounded p-1 mt-1 mb-0 text-body text-wrap">{r.responseExcerpt}</pre>
      )}
    </div>
  );
}
