import { TRPCClientError } from "@trpc/client";

/** Error data as the API's error formatter shapes it (apps/api/src/trpc.ts). */
type ServerErrorData = {
  code?: string;
  httpStatus?: number;
  fieldErrors?: Record<string, string[]>;
  retryAfter?: number;
};

/**
 * One shape for every failure a caller can meet: a server error (tRPC code and HTTP
 * status), a server we could not reach (code "NETWORK"), or anything else ("UNKNOWN").
 */
export class OpsError extends Error {
  override readonly name = "OpsError";
  readonly code: string;
  readonly httpStatus: number | null;
  readonly fieldErrors: Record<string, string[]>;
  readonly retryAfter: number | null;

  constructor(opts: {
    message: string;
    code: string;
    httpStatus?: number | null;
    fieldErrors?: Record<string, string[]>;
    retryAfter?: number | null;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.code = opts.code;
    this.httpStatus = opts.httpStatus ?? null;
    this.fieldErrors = opts.fieldErrors ?? {};
    this.retryAfter = opts.retryAfter ?? null;
  }

  /** One line for humans, e.g. `FORBIDDEN: You need the "users.read" permission`. */
  toLine(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** Normalise anything thrown by an OpsClient call into an OpsError. */
export function toOpsError(error: unknown): OpsError {
  if (error instanceof OpsError) return error;
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? null) as ServerErrorData | null;
    if (data?.code) {
      return new OpsError({
        message: error.message,
        code: data.code,
        httpStatus: data.httpStatus ?? null,
        fieldErrors: data.fieldErrors,
        retryAfter: data.retryAfter ?? null,
        cause: error,
      });
    }
    // No server-shaped data: the request never got a tRPC answer (refused, DNS, proxy page).
    return new OpsError({ message: describeTransportFailure(error), code: "NETWORK", cause: error });
  }
  if (error instanceof Error) return new OpsError({ message: error.message, code: "UNKNOWN", cause: error });
  return new OpsError({ message: String(error), code: "UNKNOWN", cause: error });
}

function describeTransportFailure(error: TRPCClientError<never>): string {
  const cause = error.cause as (Error & { cause?: { code?: string; message?: string } }) | undefined;
  const detail = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? error.message;
  return `cannot reach the server (${detail})`;
}
