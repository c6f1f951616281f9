import { openSftp } from "../ssh/sftp";
import { inDirectory, remoteTemp, removeRemote, withEnv } from "./remote-files";
import { requireSsh, streamToResult, sudoWrap } from "./ssh-command";
import { shellQuote, type StepHandler } from "./types";

/**
 * A script over SSH: written over SFTP to a private temp file (mktemp, mode 0700), run
 * with the interpreter and args (env, working directory, become as ssh.command), and
 * removed afterwards, whether it succeeded, failed, timed out or was cancelled.
 */
export const sshScript: StepHandler<"ssh.script"> = {
  kind: "ssh.script",
  async run(config, ctx) {
    const c = await requireSsh(ctx)();
    const sftp = await openSftp(c.client);
    let path: string | null = null;
    try {
      path = await remoteTemp(c.client);
      await sftp.write(path, config.script, 0o700);
      // "/usr/bin/env python3" is two words; each is quoted on its own.
      const argv = [...config.interpreter.split(/\s+/), path, ...config.args].map(shellQuote).join(" ");
      let command = inDirectory(argv, config.workingDirectory);
      command = withEnv(command, config.env);
      let stdin: string | undefined;
      if (config.become) {
        stdin = (await ctx.becomePassword()) + "\n";
        command = sudoWrap(command);
      }
      return await streamToResult(c.client, command, ctx, { stdin });
    } finally {
      if (path) {
        const why = await removeRemote(c.client, path);
        if (why) ctx.line(3, `[the script's temp file ${path} could not be removed: ${why}]`);
      }
      sftp.close();
    }
  },
};
