import type { Problem } from "./job-draft";

/** Every problem the shared validator finds, with the step (or part) and field it is about. */
export function ProblemsList({ problems }: { problems: Problem[] }) {
  if (problems.length === 0)
    return (
      <div className="alert alert-success py-2 small" data-testid="job-valid">
        The job is valid.
      </div>
    );
  return (
    <div className="alert alert-warning py-2 small" data-testid="job-problems">
      <div className="fw-medium mb-1">
        {problems.length} problem{problems.length === 1 ? "" : "s"}
      </div>
      <ul className="mb-0 ps-3">
        {problems.map((p) => (
          <li key={p.key} data-testid="job-problem">
            <span className="fw-medium">{p.where}</span> · <code>{p.field}</code>: {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
