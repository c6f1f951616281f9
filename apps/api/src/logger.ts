import pino from "pino";

export type Logger = pino.Logger;

/** JSON logs; anything that looks like a secret is censored before it is written. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "opsconductor" },
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.currentPassword", "*.newPassword", "*.token", "*.secret"],
      censor: "[redacted]",
    },
  });
}
