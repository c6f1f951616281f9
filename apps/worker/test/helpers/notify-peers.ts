import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

/**
 * Real peers for notification tests: an HTTP receiver on loopback and an SMTP server
 * (smtp-server) that parse and record what they receive.
 */

/** A self-signed certificate for 127.0.0.1/localhost, made with the openssl command line (no extra dependency). */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "ops-notify-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type ReceivedMail = { mail: ParsedMail; secure: boolean; user: string | null; envelopeTo: string[] };
export type SmtpPeer = { port: number; received: ReceivedMail[]; close(): Promise<void> };

/** An SMTP server on 127.0.0.1 that signs in `users` (name -> password) when given, and records each parsed message. */
export async function startSmtpPeer(o: { users?: Record<string, string>; options?: SMTPServerOptions } = {}): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: !o.users,
    logger: false,
    ...(o.users
      ? {
          onAuth(auth, _session, cb) {
            if (o.users![auth.username ?? ""] === auth.password) return cb(null, { user: auth.username });
            cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
          },
        }
      : {}),
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            mail,
            secure: session.secure,
            user: (session.user as string | undefined) ?? null,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          });
          cb(null, "queued as test-" + received.length);
        })
        .catch(cb);
    },
    ...o.options,
  });
  server.on("error", () => {});
  const port = await new Promise<number>((ok, fail) => {
    server.listen(0, "127.0.0.1", () => ok((server.server.address() as AddressInfo).port));
    server.server.once("error", fail);
  });
  return { port, received, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

export type ReceivedRequest = { method: string; url: string; headers: IncomingHttpHeaders; body: string; status: number };
export type WebhookPeer = {
  port: number;
  url: string;
  received: ReceivedRequest[];
  /** What the next request is answered with; the default answers 200 "ok". */
  answer: (req: Omit<ReceivedRequest, "status">) => { status: number; body?: string; headers?: Record<string, string> };
  close(): Promise<void>;
};

/** An HTTP receiver on 127.0.0.1 recording every request with the status it answered. */
export async function startWebhookPeer(path = "/hook"): Promise<WebhookPeer> {
  const peer: WebhookPeer = {
    port: 0,
    url: "",
    received: [],
    answer: () => ({ status: 200, body: "ok" }),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const a = peer.answer(r);
      peer.received.push({ ...r, status: a.status });
      res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
      res.end(a.body ?? "");
    });
  });
  peer.port = await new Promise<number>((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as AddressInfo).port)));
  peer.url = `http://127.0.0.1:${peer.port}${path}`;
  peer.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return peer;
}
