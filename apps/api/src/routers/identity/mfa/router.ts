import { router } from "../../../trpc";
import { disable } from "./disable";
import { enrolConfirm } from "./enrol-confirm";
import { enrolStart } from "./enrol-start";
import { regenerateRecoveryCodes } from "./regenerate-recovery-codes";
import { status } from "./status";

export const mfaRouter = router({ status, enrolStart, enrolConfirm, disable, regenerateRecoveryCodes });
