import { describe, expect, it } from "vitest";
import { launchValuesSchema, paramDefinitions, parseParamArgument, type ParamDefinition } from "../src/schemas/automation-params";
import { matchesLabelTerms, parseLabelExpression, targetSelector } from "../src/schemas/automation-selector";
import { canonicalJson, checkWorkflow, isRunScope } from "../src/schemas/automation-workflow";

const cmd = (id: string, command = "true", extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  kind: "ssh.command",
  config: { command },
  ...extra,
});
const messages = (input: unknown, params: ParamDefinition[] = []) => checkWorkflow(input, params).problems.map((p) => p.message);

describe("launch parameters", () => {
  const defs = paramDefinitions.parse([
    { name: "env", type: "choice", options: ["staging", "prod"], required: true },
    { name: "count", type: "number", integer: true, min: 1, max: 10, default: 2 },
    { name: "dry_run", type: "boolean", default: true },
    { name: "version", type: "string", pattern: "^v\\d+\\.\\d+$", required: true },
    { name: "password", type: "secret" },
    { name: "hosts", type: "targets", required: false },
  ]);

  it("fills defaults and accepts good values", () => {
    const values = launchValuesSchema(defs).parse({ env: "prod", version: "v1.2" });
    expect(values).toMatchObject({ env: "prod", count: 2, dry_run: true, version: "v1.2" });
  });

  it("names the parameter and the rule for each bad value", () => {
    const r = launchValuesSchema(defs).safeParse({ env: "qa", count: 11, version: "1.2", colour: "blue" });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        "env: Choose one of: staging, prod",
        "count: At most 10",
        "version: Must match ^v\\d+\\.\\d+$",
        ": Unknown parameter: colour",
      ]),
    );
  });

  it("refuses definitions that contradict themselves", () => {
    const r = paramDefinitions.safeParse([
      { name: "a", type: "choice", options: ["x"], default: "y" },
      { name: "a", type: "number", min: 5, max: 1 },
      { name: "b", type: "string", pattern: "(" },
    ]);
    expect(r.success).toBe(false);
    const text = r.error!.issues.map((i) => i.message).join("\n");
    expect(text).toContain('Parameter "a": default "y" is not one of the options');
    expect(text).toContain('Parameter "a" is defined twice');
    expect(text).toContain('Parameter "a": min is greater than max');
    expect(text).toContain('Parameter "b": pattern is not a valid regular expression');
  });

  it("converts --param arguments by the parameter's type", () => {
    expect(parseParamArgument(defs, "count=3")).toEqual(["count", 3]);
    expect(parseParamArgument(defs, "dry_run=no")).toEqual(["dry_run", false]);
    expect(parseParamArgument(defs, "version=v1=2")).toEqual(["version", "v1=2"]);
    expect(() => parseParamArgument(defs, "=x")).toThrow(/name=value/);
  });
});

describe("target selector", () => {
  it("parses label expressions and matches them as the query does", () => {
    const parsed = parseLabelExpression("env=prod, role!=db,backup,!retired");
    expect("terms" in parsed && parsed.terms).toEqual([
      { op: "eq", key: "env", value: "prod" },
      { op: "ne", key: "role", value: "db" },
      { op: "exists", key: "backup" },
      { op: "absent", key: "retired" },
    ]);
    const terms = "terms" in parsed ? parsed.terms : [];
    expect(matchesLabelTerms({ env: "prod", backup: "" }, terms)).toBe(true);
    expect(matchesLabelTerms({ env: "prod", backup: "", role: "db" }, terms)).toBe(false);
    expect(matchesLabelTerms({ env: "prod", backup: "", retired: "yes" }, terms)).toBe(false);
  });

  it("refuses a malformed expression with the bad term named", () => {
    const r = targetSelector.safeParse({ mode: "labels", expression: "env=prod,=db" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('"=db"');
  });
});

describe("workflow documents", () => {
  it("accepts branches, a join and conditions over earlier steps and parameters", () => {
    const doc = {
      steps: [
        cmd("check"),
        cmd("left"),
        cmd("right"),
        { ...cmd("join"), join: "all" },
        { id: "notify", name: "notify", kind: "wait", config: { seconds: 0 } },
      ],
      edges: [
        { from: "check", to: "left" },
        { from: "check", to: "right", condition: { subject: "params.env", op: "eq", value: "prod" } },
        { from: "left", to: "join" },
        { from: "right", to: "join" },
        { from: "join", to: "notify", on: "always", condition: { subject: "hosts.check.failed", op: "gt", value: 0 } },
      ],
    };
    const { problems, document } = checkWorkflow(doc, [{ name: "env", type: "string", label: "", help: "", required: false }]);
    expect(problems).toEqual([]);
    expect(document!.steps[0]!.retries).toEqual({ count: 0, backoffSeconds: 5, factor: 2 });
    expect(isRunScope(document!, "notify")).toBe(true);
    expect(isRunScope(document!, "left")).toBe(false);
  });

  it("names the cycle", () => {
    const problems = messages({
      steps: [cmd("a"), cmd("b"), cmd("c")],
      edges: [
        { from: "a", to: "b" },
        { from: "b", to: "c" },
        { from: "c", to: "b" },
      ],
    });
    expect(problems).toContain("The steps form a cycle: b -> c -> b");
  });

  it("names steps that can never run", () => {
    expect(messages({ steps: [cmd("a"), cmd("orphan")], edges: [] })).toContain(
      'Step "orphan" can never run: no edge leads to it from the start (a)',
    );
  });

  it("names the step and field of a bad config and an unknown kind", () => {
    const problems = messages({
      steps: [cmd("a", ""), { id: "b", name: "b", kind: "ssh.teleport", config: {} }],
      edges: [{ from: "a", to: "b" }],
    });
    expect(problems).toContain('Step "a": config.command: Write the command to run');
    expect(problems.some((m) => m.startsWith('Step "b": unknown step kind "ssh.teleport"'))).toBe(true);
  });

  it("refuses conditions over unknown parameters and over steps that run later", () => {
    const problems = messages({
      steps: [cmd("a"), cmd("b"), cmd("c")],
      edges: [
        { from: "a", to: "b", condition: { subject: "steps.c.exitCode", op: "eq", value: 0 } },
        { from: "b", to: "c", condition: { subject: "params.missing", op: "eq", value: "x" } },
      ],
    });
    expect(problems).toContain('Edge a -> b: condition reads step "c", which does not run before it');
    expect(problems).toContain('Edge b -> c: condition reads unknown parameter "missing"');
  });

  it("points shape errors at the step by its id", () => {
    const problems = messages({ steps: [cmd("ok"), { ...cmd("slow"), timeoutSeconds: 0 }], edges: [{ from: "ok", to: "slow" }] });
    expect(problems).toEqual(['Step "slow": timeoutSeconds: At least 1 second']);
  });

  it("writes the same canonical JSON whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});
