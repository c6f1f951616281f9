import { StringDecoder } from "node:string_decoder";

/** A runaway line without a newline is cut into lines of this many characters rather than held forever. */
const MAX_LINE = 65_536;

/**
 * A channel's two streams (1 stdout, 2 stderr) cut into lines for `emit`: UTF-8 decoded
 * across chunk boundaries, a trailing `\r` dropped (a pty's line ends). `flush` hands
 * over what is left unterminated when the channel has ended.
 */
export function lineSplitter(emit: (stream: 1 | 2, text: string) => void) {
  const partial: Record<1 | 2, string> = { 1: "", 2: "" };
  const decoders: Record<1 | 2, StringDecoder> = { 1: new StringDecoder("utf8"), 2: new StringDecoder("utf8") };
  return {
    data(stream: 1 | 2, d: Buffer) {
      const parts = (partial[stream] + decoders[stream].write(d)).split("\n");
      partial[stream] = parts.pop()!;
      for (const line of parts) emit(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
      while (partial[stream].length > MAX_LINE) {
        emit(stream, partial[stream].slice(0, MAX_LINE));
        partial[stream] = partial[stream].slice(MAX_LINE);
      }
    },
    flush() {
      for (const s of [1, 2] as const) {
        const rest = partial[s] + decoders[s].end();
        partial[s] = "";
        if (rest) emit(s, rest);
      }
    },
  };
}
