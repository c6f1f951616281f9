import type { ReactNode } from "react";
import type { FieldErrors } from "../app/errors";
import { InputField } from "./form";

/** A new password and its confirmation; the confirmation's id and error key are "confirm". */
export function NewPasswordFields(props: {
  id: string;
  help: ReactNode;
  confirmLabel: string;
  errors: FieldErrors;
  password: string;
  onPassword: (value: string) => void;
  confirm: string;
  onConfirm: (value: string) => void;
}) {
  return (
    <>
      <InputField
        id={props.id}
        label="New password"
        errors={props.errors}
        help={props.help}
        type="password"
        autoComplete="new-password"
        value={props.password}
        onChange={props.onPassword}
      />
      <InputField
        id="confirm"
        label={props.confirmLabel}
        errors={props.errors}
        type="password"
        autoComplete="new-password"
        value={props.confirm}
        onChange={props.onConfirm}
      />
    </>
  );
}
