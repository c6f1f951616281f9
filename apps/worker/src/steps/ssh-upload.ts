import { execCommand } from "../ssh/exec";
import { openSftp } from "../ssh/sftp";
import { remoteTemp, removeRemote } from "./remote-files";
import { requireSsh, sudoWrap } from "./ssh-command";
import { shellQuote, type StepHandler } from "./types";

/**
 * A file written over SFTP with its mode and owner. With become the content goes to a
 * private temp file first and `sudo install` puts it in place with mode and owner.
 */
export const sshUpload: StepHandler<"ssh.upload"> = {
  kind: "ssh.upload",
  async run(config, ctx) {
    const c = await requireSsh(ctx)();
    const mode = parseInt(config.mode, 8);
    const modeText = mode.toString(8).padStart(4, "0");
    const [user, group] = (config.owner ?? "").split(":");
    const sftp = await openSftp(c.client);
    let temp: string | null = null;
    let bytes: number;
    try {
      if (!config.become) {
        bytes = await sftp.write(config.path, config.content, mode);
        if (config.owner) {
          const r = await execCommand(c.client, `chown -- ${shellQuote(config.owner)} ${shellQuote(config.path)}`, {
            timeoutMs: ctx.timeoutMs,
          });
          if (r.code !== 0) throw new Error(`wrote ${config.path} but cannot set its owner: ${installError(r.stderr, config)}`);
        }
      } else {
        temp = await remoteTemp(c.client);
        bytes = await sftp.write(temp, config.content, 0o600);
        const owner = [user ? `-o ${shellQuote(user)}` : "", group ? `-g ${shellQuote(group)}` : ""].filter(Boolean).join(" ");
        const install = `install -m ${modeText} ${owner} -- ${shellQuote(temp)} ${shellQuote(config.path)}`;
        const stdin = (await ctx.becomePassword()) + "\n";
        const r = await execCommand(c.client, sudoWrap(install), { stdin, timeoutMs: ctx.timeoutMs });
        if (r.code !== 0) throw new Error(`cannot write ${config.path}: ${installError(r.stderr, config)}`);
      }
    } finally {
      if (temp) {
        const why = await removeRemote(c.client, temp);
        if (why) ctx.line(3, `[the upload's temp file ${temp} could not be removed: ${why}]`);
      }
      sftp.close();
    }
    const owned = config.owner ? `, owner ${config.owner}` : "";
    ctx.line(3, `[wrote ${bytes} bytes to ${config.path} (mode ${modeText}${owned})]`);
    return { state: "succeeded", exitCode: 0, error: null, captured: "" };
  },
};

function installError(stderr: string, config: { path: string; owner?: string }): string {
  const text = stderr.trim();
  const dir = config.path.slice(0, config.path.lastIndexOf("/")) || "/";
  if (/No such file or directory/i.test(text)) return `the directory ${dir} does not exist on the target`;
  if (/invalid (user|group)|no such (user|group)/i.test(text)) return `no such user or group on the target (${config.owner ?? ""})`;
  if (/Operation not permitted|Permission denied/i.test(text)) return "permission denied (use become to write as root)";
  return text.split("\n")[0] || "failed";
}
