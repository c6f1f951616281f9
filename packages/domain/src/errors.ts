/**
 * Domain code throws these; one adapter in the API maps them to transport codes. Any
 * other error is unexpected: logged whole, answered as a generic 500.
 */
export class DomainError extends Error {
  override name = "DomainError";
}
export class NotFound extends DomainError {
  override name = "NotFound";
  /** `new NotFound("User")` says "User not found"; pass `message` to say more. */
  constructor(what: string, message?: string) {
    super(message ?? `${what} not found`);
  }
}
export class Conflict extends DomainError {
  override name = "Conflict";
}
export class Forbidden extends DomainError {
  override name = "Forbidden";
}
export class Unauthorized extends DomainError {
  override name = "Unauthorized";
}
/** Bad input that zod could not see (e.g. a weak password); `field` points a form at it. */
export class Invalid extends DomainError {
  override name = "Invalid";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
export class TooManyRequests extends DomainError {
  override name = "TooManyRequests";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** Something the request needs (the database) is unreachable right now; worth retrying after `retryAfterSeconds`. */
export class Unavailable extends DomainError {
  override name = "Unavailable";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
