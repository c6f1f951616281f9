import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../apps/api/test/helpers/harness";
import { startCliSession, type CliSession } from "./helpers/cli-session";

let app: TestApp;
let cli: CliSession;

const template = (command: string) => ({
  name: "Restart unit",
  kind: "ssh.command",
  config: { command },
  params: [{ name: "unit", type: "string", required: true }],
});

beforeAll(async () => {
  app = await startTestApp();
  cli = await startCliSession(app, "step templates cli test");
});
afterAll(async () => {
  await cli?.close();
  await app?.close();
});

describe("opsctl step-templates", () => {
  it("creates, lists, shows, updates and deletes, and says why a delete is refused", async () => {
    const file = join(cli.dir, "restart.json");
    await writeFile(file, JSON.stringify(template("systemctl restart {{ inputs.unit }}")));
    const created = await cli.opsctl(["step-templates", "create", "-f", file]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^created step template "Restart unit" \([0-9a-f-]{36}\), version 1/);

    const list = await cli.opsctl(["step-templates", "list", "--kind", "ssh.command"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Restart unit\s+ssh\.command\s+1\s+unit/);

    await writeFile(file, JSON.stringify(template("systemctl try-restart {{ inputs.unit }}")));
    const updated = await cli.opsctl(["step-templates", "update", "Restart unit", "-f", file, "--comment", "gentler"]);
    expect(updated.stdout.trim()).toBe("saved version 2");
    const shown = await cli.opsctl(["step-templates", "get", "restart unit", "--version", "1"]);
    expect(shown.stdout).toContain("Restart unit  (ssh.command, version 1 of 2");
    expect(shown.stdout).toContain("parameters: unit* (string)");
    expect(shown.stdout).toContain('"command": "systemctl restart {{ inputs.unit }}"');

    // A template file that reads an input it does not declare is refused, naming the field.
    await writeFile(file, JSON.stringify({ ...template("systemctl restart {{ inputs.service }}"), name: "Broken" }));
    const bad = await cli.opsctl(["step-templates", "create", "-f", file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("config.command: reads inputs.service, which is not one of the template's parameters");

    const saved = await cli.client.automation.stepTemplates.get.query({ id: /\(([0-9a-f-]{36})\)/.exec(created.stdout)![1]! });
    await cli.client.automation.jobs.create.mutate({
      name: "Uses restart",
      workflow: { steps: [{ id: "r", name: "r", kind: "template", config: { templateId: saved.id, inputs: { unit: "web" } } }] },
    });
    const refused = await cli.opsctl(["step-templates", "delete", "Restart unit"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Step template "Restart unit" is used by job "Uses restart"; change it first');

    const job = (await cli.client.automation.jobs.list.query({ search: "Uses restart" })).items[0]!;
    await cli.client.automation.jobs.delete.mutate({ id: job.id });
    const deleted = await cli.opsctl(["step-templates", "delete", saved.id]);
    expect(deleted.stdout.trim()).toBe(`deleted step template ${saved.id}`);
    expect((await cli.opsctl(["step-templates", "list"])).stdout).toContain("No step templates match.");
  });
});
