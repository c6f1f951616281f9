import { describe, expect, it } from "vitest";
import {
  checkAddress,
  OutboundRefused,
  outboundRequest,
  parseIpLiteral,
  parseNetwork,
  resolveOutbound,
  type IpNetwork,
} from "../src/index";

const nets = (...cidrs: string[]): IpNetwork[] =>
  cidrs.map((c) => {
    const p = parseNetwork(c);
    if (!p.ok) throw new Error(p.message);
    return p.network;
  });
const HINT = "an admin can allow it under Settings > Outbound networks";

describe("outbound address rules", () => {
  // Issue 8's SSRF probes (the redirect probe runs end to end in automation-steps.test.ts).
  it.each([
    ["127.0.0.1", "127.0.0.1 is a loopback address"],
    ["localhost", "localhost resolves to 127.0.0.1, a loopback address|localhost resolves to ::1, a loopback address"],
    ["[::1]", "::1 is a loopback address"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1 is 127.0.0.1, a loopback address"],
    ["2130706433", "2130706433 is 127.0.0.1, a loopback address"],
    ["0x7f000001", "0x7f000001 is 127.0.0.1, a loopback address"],
    ["017700000001", "017700000001 is 127.0.0.1, a loopback address"],
    ["127.1", "127.1 is 127.0.0.1, a loopback address"],
    ["10.0.0.1", "10.0.0.1 is a private address"],
    ["172.16.0.1", "172.16.0.1 is a private address"],
    ["192.168.0.1", "192.168.0.1 is a private address"],
    ["100.64.0.1", "100.64.0.1 is a carrier-grade NAT (shared) address"],
    ["169.254.169.254", "169.254.169.254 is a cloud metadata address"],
    ["169.254.10.1", "169.254.10.1 is a link-local address"],
    ["0.0.0.0", '0.0.0.0 is a "this network" address'],
    ["fd00:ec2::254", "fd00:ec2::254 is a cloud metadata address"],
    ["fc00::1", "fc00::1 is a private (unique local) address"],
    ["fe80::1", "fe80::1 is a link-local address"],
    ["::ffff:a9fe:a9fe", "::ffff:a9fe:a9fe is 169.254.169.254, a cloud metadata address"],
    ["64:ff9b::10.0.0.1", "64:ff9b::10.0.0.1 is 10.0.0.1, a private address"],
    ["2002:7f00:1::", "2002:7f00:1:: is 127.0.0.1, a loopback address"],
    ["::", ":: is the unspecified address"],
  ])("refuses %s by default, saying why", async (host, why) => {
    const r = await resolveOutbound(host, []);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(new RegExp(`^(${why.replace(/[.*+?^${}()[\]\\]/g, "\\$&").replace(/\\\|/g, "|")}); ${HINT}$`));
  });

  it("allows a refused address once an admin listed a network holding it, in every spelling", async () => {
    const allowed = nets("127.0.0.0/8", "10.1.0.0/16", "fd00::/8");
    for (const host of ["127.0.0.1", "2130706433", "0x7f000001", "017700000001", "::ffff:127.0.0.1", "10.1.2.3", "fd00:ec2::254"]) {
      expect(await resolveOutbound(host, allowed)).toMatchObject({ ok: true });
    }
    expect(await resolveOutbound("10.2.0.1", allowed)).toMatchObject({ ok: false });
    expect(await resolveOutbound("::1", allowed)).toMatchObject({ ok: false });
  });

  it("lets public addresses through and answers the address to connect to", async () => {
    expect(await resolveOutbound("93.184.215.14", [])).toEqual({ ok: true, address: "93.184.215.14", family: 4 });
    expect(await resolveOutbound("[2606:4700::1111]", [])).toEqual({ ok: true, address: "2606:4700::1111", family: 6 });
    expect(checkAddress(parseIpLiteral("8.8.8.8")!, [])).toMatchObject({ ok: true });
  });

  it("refuses a URL whose host is a loopback spelling before anything is sent", async () => {
    for (const url of [
      "http://2130706433/",
      "http://0x7f000001:1/",
      "http://017700000001/",
      "http://[::ffff:127.0.0.1]/",
      "http://localhost/",
    ]) {
      const p = outboundRequest({ url, method: "GET", signal: new AbortController().signal, allowed: [], maxBodyBytes: 100 });
      await expect(p).rejects.toThrow(OutboundRefused);
      await expect(p).rejects.toThrow(/loopback address; an admin can allow it/);
    }
    await expect(
      outboundRequest({ url: "file:///etc/passwd", method: "GET", signal: new AbortController().signal, allowed: [], maxBodyBytes: 1 }),
    ).rejects.toThrow(/file URLs are not allowed/);
  });

  it("reads networks of both families into one spelling each", () => {
    expect(parseNetwork("10.0.0.7/24")).toMatchObject({ ok: true, cidr: "10.0.0.0/24" });
    expect(parseNetwork("127.0.0.1")).toMatchObject({ ok: true, cidr: "127.0.0.1/32" });
    expect(parseNetwork("FD00:EC2::254")).toMatchObject({ ok: true, cidr: "fd00:ec2::254/128" });
    expect(parseNetwork("fe80::1234/10")).toMatchObject({ ok: true, cidr: "fe80::/10" });
    expect(parseNetwork("10.0.0.0/33")).toMatchObject({ ok: false });
    expect(parseNetwork("fe80::/129")).toMatchObject({ ok: false, message: expect.stringMatching(/0 to 128/) });
    expect(parseNetwork("example.com")).toMatchObject({ ok: false });
  });
});
