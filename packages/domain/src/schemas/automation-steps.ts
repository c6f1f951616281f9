import { z } from "zod";

/**
 * The step-kind catalogue (STYLE.md 17): identifier -> zod config schema, plus what the
 * engine must know about each kind. The worker maps each identifier to one handler in
 * apps/worker/src/steps/; the editor renders config forms from the same schemas.
 * String fields marked "templated" are liquid templates over parameters, the target and
 * its facts, and earlier steps' results (ADR 0012).
 */

const templated = (max: number, what: string) => z.string().max(max, `At most ${max} characters`).describe(`templated ${what}`);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const env = z
  .record(
    z.string().regex(ENV_NAME, "Environment names use letters, digits and _ and do not start with a digit"),
    templated(10_000, "value"),
  )
  .refine((e) => Object.keys(e).length <= 100, "At most 100 variables")
  .default({});
const become = z.boolean().default(false).describe("run through sudo with the target's become credential");
const FILE_MODE = /^0?[0-7]{3,4}$/;

export const STEP_KINDS = {
  "ssh.command": {
    label: "Command over SSH",
    runsOn: "target",
    config: z.object({
      command: templated(100_000, "command").min(1, "Write the command to run"),
      become,
      env,
      workingDirectory: templated(4096, "directory").optional(),
      pty: z.boolean().default(false),
    }),
  },
  "ssh.script": {
    label: "Script over SSH",
    runsOn: "target",
    config: z.object({
      script: templated(1_000_000, "script").min(1, "Write the script"),
      interpreter: z.string().trim().min(1).max(200).default("/bin/sh"),
      args: z.array(templated(4096, "argument")).max(100).default([]),
      become,
      env,
      workingDirectory: templated(4096, "directory").optional(),
    }),
  },
  "ssh.upload": {
    label: "Upload a file (SFTP)",
    runsOn: "target",
    config: z.object({
      path: templated(4096, "path").min(1, "Where to write the file"),
      content: templated(10_000_000, "content"),
      mode: z.string().regex(FILE_MODE, "Write the mode in octal, e.g. 0644").default("0644"),
      owner: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/, "owner or owner:group")
        .optional(),
      become,
    }),
  },
  "http.request": {
    label: "HTTP request",
    runsOn: "worker",
    config: z.object({
      method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
      url: templated(8192, "URL").min(1, "Give the URL"),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "Header names use letters, digits and -"), templated(8192, "header"))
        .default({}),
      body: templated(1_000_000, "body").optional(),
      expectStatus: z.array(z.number().int().min(100).max(599)).max(20).default([200, 201, 202, 204]),
      captureBody: z.boolean().default(false),
    }),
  },
  wait: {
    label: "Wait",
    runsOn: "worker",
    config: z.object({ seconds: z.number({ message: "Enter a number of seconds" }).min(0).max(86_400, "At most a day") }),
  },
  notify: {
    label: "Send a notification",
    runsOn: "worker",
    /**
     * A message through a notification channel (ADR 0016): the step succeeds once it is
     * delivered, and fails when it is dead-lettered or still not delivered at the step's
     * timeout. Without a template, email sends `subject` and `message` as text, a webhook
     * a JSON body {type, run, step, message}; a template renders them as `event.payload`.
     */
    config: z.object({
      channelId: z.uuid({ message: "Pick the channel to send through" }),
      templateId: z.uuid({ message: "Pick a template, or none" }).nullable().optional(),
      subject: templated(1000, "subject").optional(),
      message: templated(100_000, "message").min(1, "Write the message"),
      /** Email only; none: the channel's default recipients. */
      recipients: z.array(templated(254, "recipient")).max(100, "At most 100 recipients").optional(),
    }),
  },
  job: {
    label: "Run another job",
    runsOn: "worker",
    /** Replaced by the other job's steps when the run is launched (expandWorkflow). */
    expandedAtLaunch: true,
    config: z.object({
      jobId: z.uuid({ message: "Pick the job to run" }),
      /** Pinned version, or the job's latest at launch. */
      version: z.number().int().min(1).optional(),
      params: z.record(z.string(), z.unknown()).default({}),
      /** Pass this run's targets down, or let the sub-job use its own selector. */
      targets: z.enum(["inherit", "own"]).default("inherit"),
    }),
  },
  template: {
    label: "Step from the library",
    runsOn: "target",
    /** Replaced by the template's kind and its config, inputs filled in, when the job is launched (expandWorkflow). */
    expandedAtLaunch: true,
    config: z.object({
      templateId: z.uuid({ message: "Pick the step template" }),
      /** Pinned template version, or the template's latest at launch. */
      version: z.number().int().min(1).optional(),
      /** Values for the template's exposed parameters, checked against them when the job is saved. */
      inputs: z.record(z.string(), z.unknown()).default({}),
    }),
  },
} as const satisfies Record<string, { label: string; runsOn: "target" | "worker"; expandedAtLaunch?: true; config: z.ZodType }>;

export type StepKind = keyof typeof STEP_KINDS;
export const STEP_KIND_IDS = Object.keys(STEP_KINDS) as StepKind[];
export type StepConfig<K extends StepKind> = z.infer<(typeof STEP_KINDS)[K]["config"]>;

export function isStepKind(value: string): value is StepKind {
  return Object.hasOwn(STEP_KINDS, value);
}

/** Kinds that stand for other steps (a library template, another job) and are replaced by them at launch. */
export function isExpandedKind(kind: StepKind): boolean {
  return "expandedAtLaunch" in STEP_KINDS[kind];
}

/** The kinds a step template can fill: every kind that runs itself. */
export const TEMPLATE_KIND_IDS = STEP_KIND_IDS.filter((k) => !isExpandedKind(k)) as Exclude<StepKind, "job" | "template">[];
