import type { Client, SFTPWrapper } from "ssh2";

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that deserve their own words. */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

export type Sftp = {
  /** Writes the whole file (created or truncated) and sets its mode; answers bytes written. */
  write(path: string, data: string | Buffer, mode: number): Promise<number>;
  chmod(path: string, mode: number): Promise<void>;
  unlink(path: string): Promise<void>;
  close(): void;
};

/** Opens an SFTP session on the connection; a server without the sftp subsystem gets a clear error. */
export function openSftp(client: Client): Promise<Sftp> {
  return new Promise((resolve, reject) => {
    client.sftp((err, sftp) => {
      if (err) return reject(new Error(`the target has no SFTP service (${err.message}); ask for "Subsystem sftp" in its sshd_config`));
      resolve(wrap(sftp));
    });
  });
}

function wrap(sftp: SFTPWrapper): Sftp {
  const call = (path: string, what: string, fn: (cb: (err?: Error | null) => void) => void) =>
    new Promise<void>((resolve, reject) => fn((err) => (err ? reject(explain(err, path, what)) : resolve())));
  return {
    async write(path, data, mode) {
      const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      await call(path, "write", (cb) => sftp.writeFile(path, buf, { mode }, cb));
      // An existing file keeps its old mode through writeFile: set it.
      await call(path, "chmod", (cb) => sftp.chmod(path, mode, cb));
      return buf.length;
    },
    chmod: (path, mode) => call(path, "chmod", (cb) => sftp.chmod(path, mode, cb)),
    unlink: (path) => call(path, "remove", (cb) => sftp.unlink(path, cb)),
    close: () => sftp.end(),
  };
}

/** "no such file" on a write means its directory is missing; say so, and name the path. */
export function explain(err: Error & { code?: number | string }, path: string, what: string): Error {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  if (err.code === NO_SUCH_FILE) {
    return new Error(
      what === "write" ? `cannot write ${path}: the directory ${dir} does not exist on the target` : `${path} does not exist`,
    );
  }
  if (err.code === PERMISSION_DENIED) {
    return new Error(`cannot ${what} ${path}: permission denied (use become to write as root)`);
  }
  return new Error(`cannot ${what} ${path}: ${err.message}`);
}
