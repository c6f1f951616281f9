/**
 * Rejects with ETIMEDOUT after `ms`. A value that still arrives later goes to
 * `discardLate`, since no caller will see it (e.g. a jump-host channel opened after we
 * gave up must still be closed).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, discardLate: (late: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (timedOut) discardLate(v);
        else resolve(v);
      },
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
