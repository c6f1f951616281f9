import { describe, expect, it } from "vitest";
import { renderStepConfig, renderTemplate, TemplateError, type TemplateScope } from "../src/automation/templating";
import { templatedFields, templateSyntaxProblems } from "../src/schemas/automation-templates";

const scope: TemplateScope = {
  params: { who: "world", ports: [80, 443] },
  target: { id: "t1", name: "web-1", address: "10.0.0.5", port: 22, labels: { env: "prod" }, facts: { kernel: "6.1" } },
  steps: { probe: { exitCode: 0, output: "ok\n", state: "succeeded" } },
  run: { id: "r1", title: "Deploy" },
};

describe("step templates", () => {
  it("renders every templated field of a config, inside records and arrays too, and nothing else", () => {
    const config = {
      script: "echo {{ params.who }} on {{ target.labels.env }} ({{ target.facts.kernel }})",
      interpreter: "{{ not templated }}",
      args: ["{{ params.ports | join: ',' }}", "plain"],
      env: { WHERE: "{{ target.address }}:{{ target.port }}", PREV: "{{ steps.probe.output | strip }}" },
      workingDirectory: "/srv/{{ run.title | downcase }}",
    };
    expect(templatedFields("ssh.script", config).map((f) => f.path.join("."))).toEqual([
      "script",
      "args.0",
      "args.1",
      "env.WHERE",
      "env.PREV",
      "workingDirectory",
    ]);
    expect(renderStepConfig("ssh.script", config, scope, "run-it")).toEqual({
      script: "echo world on prod (6.1)",
      interpreter: "{{ not templated }}",
      args: ["80,443", "plain"],
      env: { WHERE: "10.0.0.5:22", PREV: "ok" },
      workingDirectory: "/srv/deploy",
    });
    expect(config.script).toContain("{{"); // the stored config is left as it was
  });

  it("names the step and field of a template that reads what is not there, and never reaches prototypes", () => {
    expect(() => renderStepConfig("ssh.command", { command: "echo {{ params.nope }}" }, scope, "greet")).toThrow(
      new TemplateError('step "greet": config.command: undefined variable: params.nope, line:1, col:9'),
    );
    expect(() => renderTemplate("{{ params.constructor }}", scope)).toThrow(/undefined variable: params.constructor/);
    expect(() => renderTemplate("{{ params.who | shell }}", scope)).toThrow(/undefined filter: shell/);
  });

  it("finds syntax errors and file tags when a job is saved", () => {
    expect(templateSyntaxProblems("http.request", { url: "https://x/{{ params.a", headers: { A: "{% include 'x' %}" } })).toEqual([
      { field: "url", message: expect.stringContaining("template does not parse") },
      { field: "headers.A", message: expect.stringContaining("the include tag is not available") },
    ]);
    // Another tool's template syntax parses as liquid but fails loudly when rendered; {% raw %} keeps it.
    expect(() => renderTemplate("docker ps --format '{{.Names}}'", scope)).toThrow(/undefined variable: Names/);
    expect(renderTemplate("docker ps --format '{% raw %}{{.Names}}{% endraw %}'", scope)).toBe("docker ps --format '{{.Names}}'");
  });
});
