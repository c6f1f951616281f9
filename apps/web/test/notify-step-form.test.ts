import { STEP_KINDS } from "@ops/domain/schemas/automation-steps";
import { describe, expect, it } from "vitest";
import { fieldsOf } from "../src/routes/jobs/editor/schema-fields";

describe("the notify step's form in the job editor", () => {
  it("asks for the channel and the message, and offers the template, subject and recipients as optional fields", () => {
    const fields = Object.fromEntries(
      fieldsOf(STEP_KINDS.notify.config).map((f) => [f.name, { control: f.control, required: f.required }]),
    );
    expect(fields).toEqual({
      channelId: { control: "text", required: true },
      templateId: { control: "text", required: false },
      subject: { control: "text", required: false },
      message: { control: "textarea", required: true },
      recipients: { control: "lines", required: false },
    });
  });
});
