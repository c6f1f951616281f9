import { Plus } from "lucide-react";
import type { ReactNode } from "react";

/** A page's h1 with its actions on the right; they wrap below it on a phone. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
      <h1 className="h3 mb-0">{title}</h1>
      {children}
    </div>
  );
}

/** The primary "New …" button of a list page. */
export function CreateButton(props: { onClick: () => void; testId?: string; children: ReactNode }) {
  return (
    <button type="button" className="btn btn-primary d-flex align-items-center gap-1" onClick={props.onClick} data-testid={props.testId}>
      <Plus size={18} /> {props.children}
    </button>
  );
}
