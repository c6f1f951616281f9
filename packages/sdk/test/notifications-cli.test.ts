import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The SDK does not depend on the database package: its table is imported by path, as the harness is.
import { notificationDeliveries } from "../../db/src/schema/communication/notifications";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { startCliSession, type CliSession } from "./helpers/cli-session";

/**
 * opsctl notifications: channels list|test, deliveries list|retry, rules list, against a
 * real server. No worker runs, so a test send reports that none answered.
 */
let app: TestApp;
let cli: CliSession;
const opsctl = (args: string[]) => cli.opsctl(args);

beforeAll(async () => {
  app = await startTestApp();
  cli = await startCliSession(app, "notifications cli test");
});

afterAll(async () => {
  await app?.close();
  await cli?.close();
});

let mail: { id: string };
let hook: { id: string };

describe("opsctl notifications", () => {
  it("lists channels and rules", async () => {
    mail = await cli.client.communication.channels.create.mutate({
      kind: "email",
      name: "CLI mail",
      config: { host: "smtp.example.test", from: "ops@example.test" },
    });
    hook = await cli.client.communication.channels.create.mutate({
      kind: "webhook",
      name: "CLI hook",
      config: { url: "https://hooks.example.test/cli" },
    });
    await cli.client.communication.rules.create.mutate({ name: "CLI failures", eventTypes: ["automation.run.failed"], channelId: hook.id });

    const channels = await opsctl(["notifications", "channels", "list"]);
    expect(channels.code).toBe(0);
    expect(channels.stdout).toMatch(/CLI hook\s+webhook\s+yes\s+1\s+-\s+/);
    expect(channels.stdout).toMatch(/CLI mail\s+email\s+yes\s+0\s+-\s+/);
    const rules = await opsctl(["notifications", "rules", "list", "--json"]);
    expect(JSON.parse(rules.stdout).map((r: { name: string; channel: { name: string } }) => [r.name, r.channel.name])).toEqual([
      ["CLI failures", "CLI hook"],
    ]);
  });

  it("lists deliveries by status and channel, and retries a dead one", async () => {
    const [dead, delivered, withdrawn] = await app.db
      .insert(notificationDeliveries)
      .values([
        {
          eventType: "automation.run.failed",
          channelId: hook.id,
          idempotencyKey: "cli-dead",
          status: "dead",
          message: { body: "{}" },
          attempts: 10,
          lastError: "connect ECONNREFUSED",
        },
        {
          eventType: "automation.run.failed",
          channelId: mail.id,
          idempotencyKey: "cli-ok",
          status: "delivered",
          message: { to: ["a@example.test"], subject: "Run failed", text: "t", html: "" },
          attempts: 1,
        },
        {
          eventType: "automation.notify_step",
          channelId: hook.id,
          idempotencyKey: "cli-withdrawn",
          status: "withdrawn",
          message: { body: "{}" },
          attempts: 2,
          lastError: "answered 503",
        },
      ])
      .returning();
    const deadList = await opsctl(["notifications", "deliveries", "list", "--status", "dead"]);
    expect(deadList.code).toBe(0);
    expect(deadList.stdout).toMatch(
      new RegExp(
        `${dead!.id}\\s+\\S+ \\S+\\s+dead\\s+CLI hook\\s+automation.run.failed\\s+10\\s+hooks.example.test\\s+connect ECONNREFUSED`,
      ),
    );
    expect(deadList.stdout).not.toContain("CLI mail");
    // A notify step's message taken back before it was sent (its step timed out or its run was cancelled).
    const withdrawnList = await opsctl(["notifications", "deliveries", "list", "--status", "withdrawn"]);
    expect(withdrawnList.stdout).toMatch(
      new RegExp(`${withdrawn!.id}\\s+\\S+ \\S+\\s+withdrawn\\s+CLI hook\\s+automation.notify_step\\s+2\\s+`),
    );
    expect(withdrawnList.stdout).not.toContain("automation.run.failed");
    const all = JSON.parse((await opsctl(["notifications", "deliveries", "list", "--channel", "cli mail", "--json"])).stdout);
    expect(all.items.map((d: { id: number; summary: string }) => [d.id, d.summary])).toEqual([
      [delivered!.id, "a@example.test: Run failed"],
    ]);
    const badStatus = await opsctl(["notifications", "deliveries", "list", "--status", "lost"]);
    expect(badStatus.code).toBe(1);
    expect(badStatus.stderr).toContain('--status must be one of queued, retrying, delivered, dead, folded, withdrawn, not "lost"');

    const retried = await opsctl(["notifications", "deliveries", "retry", String(dead!.id)]);
    expect(retried.stdout).toContain(`delivery ${dead!.id} queued again on CLI hook`);
    const stored = await app.db.select().from(notificationDeliveries);
    expect(stored.find((d) => d.id === dead!.id)!.status).toBe("queued");
    expect((await opsctl(["notifications", "deliveries", "list", "--status", "dead"])).stdout).toContain("No deliveries match.");
    const again = await opsctl(["notifications", "deliveries", "retry", String(delivered!.id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Delivery #${delivered!.id} is delivered`);
  });

  // The send waits up to 20 s for a worker that this test does not start.
  it("says when a test send got no answer", { timeout: 120_000 }, async () => {
    const test = await opsctl(["notifications", "channels", "test", "CLI mail", "--to", "ops-test@example.test"]);
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(
      /^failed: No worker sent the test message within 20 s; is a worker running\? It stays queued as delivery #\d+/,
    );
    const queued = (await app.db.select().from(notificationDeliveries)).find((d) => d.eventType === "test");
    expect(queued).toMatchObject({ channelId: mail.id, status: "queued", message: { to: ["ops-test@example.test"] } });
  });
});
