/** Server-side pagination footer: "x–y of N" with previous/next. */
export function Pager(props: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const { page, pageSize, total } = props;
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(page * pageSize, total);
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div className="d-flex align-items-center justify-content-between gap-2 mt-2">
      <span className="text-body-secondary small" data-testid="pager-range">
        {first}–{last} of {total}
      </span>
      <div className="btn-group btn-group-sm">
        <button type="button" className="btn btn-outline-secondary" disabled={page <= 1} onClick={() => props.onPage(page - 1)}>
          Previous
        </button>
        <button type="button" className="btn btn-outline-secondary" disabled={page >= lastPage} onClick={() => props.onPage(page + 1)}>
          Next
        </button>
      </div>
    </div>
  );
}
