import { Check, Copy } from "lucide-react";
import { useState } from "react";

/** A read-only value with a copy button, for secrets shown once. */
export function CopyBox({ value, testId }: { value: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard may be unavailable over plain http; the text stays selectable.
    }
  };
  return (
    <div className="input-group">
      <input
        className="form-control font-monospace"
        readOnly
        value={value}
        data-testid={testId}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button type="button" className="btn btn-outline-secondary" onClick={copy} aria-label="Copy">
        {copied ? <Check size={16} /> : <Copy size={16} />} {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
