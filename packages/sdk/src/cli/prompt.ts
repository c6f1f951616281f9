import { createInterface } from "node:readline";

/**
 * Answers come from the terminal (secrets without echo) or, when stdin is not a TTY,
 * one line each from stdin, so scripts and tests can pipe "password\ncode\n".
 */
export type Prompter = {
  ask(question: string): Promise<string>;
  askSecret(question: string): Promise<string>;
  close(): void;
};

export function createPrompter(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Prompter {
  return input.isTTY ? terminalPrompter(input, output) : pipedPrompter(input, output);
}

function pipedPrompter(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Prompter {
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const next = async (question: string) => {
    output.write(question);
    const line = await lines.next();
    output.write("\n");
    if (line.done) throw new PromptClosed(question);
    return line.value;
  };
  return { ask: next, askSecret: next, close: () => rl.close() };
}

function terminalPrompter(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Prompter {
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input, output, terminal: true });
      rl.question(question, (answer) => {
        rl.close();
        resolve(answer);
      });
    });
  const askSecret = (question: string) =>
    new Promise<string>((resolve, reject) => {
      output.write(question);
      input.setRawMode(true);
      input.resume();
      input.setEncoding("utf8");
      let answer = "";
      const finish = (error?: Error) => {
        input.off("data", onData);
        input.setRawMode(false);
        input.pause();
        output.write("\n");
        if (error) reject(error);
        else resolve(answer);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") return finish();
          if (ch === "\u0003") return finish(new PromptClosed(question)); // Ctrl-C
          if (ch === "\u0004" && answer === "") return finish(new PromptClosed(question)); // Ctrl-D
          if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
          else if (ch >= " ") answer += ch;
        }
      };
      input.on("data", onData);
    });
  return { ask, askSecret, close: () => {} };
}

export class PromptClosed extends Error {
  constructor(question: string) {
    super(`no answer to "${question.replace(/[:\s]+$/, "")}" (input closed)`);
  }
}
