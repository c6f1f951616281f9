import { failed, type StepHandler } from "./types";

/** Sub-workflows are not run by this worker yet: the step fails and says so. */
export const job: StepHandler<"job"> = {
  kind: "job",
  async run() {
    return failed("step kind job does not run on this version of the worker");
  },
};
