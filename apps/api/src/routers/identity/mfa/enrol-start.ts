import QRCode from "qrcode";
import { identitySchemas as s, startMfaEnrolment } from "@ops/domain";
import { sessionProcedure } from "../../../trpc";

export const enrolStart = sessionProcedure.output(s.mfaEnrolStart).mutation(async ({ ctx }) => {
  const { secret, uri } = await startMfaEnrolment({ ctx });
  // Rendering is presentation, so the QR code is made here rather than in the domain.
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret, uri, qrSvg };
});
