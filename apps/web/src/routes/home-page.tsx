import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { CheckCircle2, Circle, KeyRound } from "lucide-react";
import type { ReactNode } from "react";
import { allows } from "../app/access";
import { trpc } from "../app/trpc";
import { useFormatDate } from "../app/use-format-date";
import { useMe } from "../app/use-me";
import { LoadError, Loading } from "../components/states";
import { statusLabel } from "../components/status-badge";
import { TARGET_STATUSES } from "@ops/domain/schemas/assets-targets";

const TEST_BADGE: Record<string, string> = {
  queued: "text-bg-secondary",
  running: "text-bg-info",
  passed: "text-bg-success",
  failed: "text-bg-danger",
  done: "text-bg-success",
  cancelled: "text-bg-warning",
};

function Card(props: { title: string; testId?: string; children: ReactNode }) {
  return (
    <div className="card h-100" data-testid={props.testId}>
      <div className="card-header fw-semibold">{props.title}</div>
      <div className="card-body">{props.children}</div>
    </div>
  );
}

/** A card listing recent work: each item's status badge, what it was about, and when it ended (or began). */
function RecentCard(props: {
  title: string;
  testId: string;
  empty: string;
  items: { id: string; status: string; at: string; body: ReactNode }[];
}) {
  const fmt = useFormatDate();
  return (
    <Card title={props.title} testId={props.testId}>
      {props.items.length === 0 ? (
        <div className="small text-body-secondary">{props.empty}</div>
      ) : (
        <ul className="list-unstyled small mb-0">
          {props.items.map((item) => (
            <li key={item.id} className="d-flex flex-wrap align-items-center gap-2 py-1 border-bottom">
              <span className={`badge ${TEST_BADGE[item.status] ?? "text-bg-secondary"}`}>{item.status}</span>
              {item.body}
              <span className="ms-auto text-body-secondary text-nowrap">{fmt.dateTime(item.at)}</span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function CheckItem(props: { done: boolean; id: string; children: ReactNode }) {
  return (
    <li className="d-flex align-items-start gap-2 py-1" data-testid={`check-${props.id}`} data-done={props.done}>
      {props.done ? (
        <CheckCircle2 size={18} className="text-success flex-shrink-0 mt-1" aria-label="done" />
      ) : (
        <Circle size={18} className="text-body-secondary flex-shrink-0 mt-1" aria-label="to do" />
      )}
      <span className={props.done ? "text-body-secondary" : undefined}>{props.children}</span>
    </li>
  );
}

function Overview() {
  const me = useMe();
  const summary = useQuery(trpc.assets.summary.get.queryOptions());
  if (summary.isPending) return <Loading />;
  if (summary.isError) return <LoadError error={summary.error} />;
  const s = summary.data;
  const steps = [
    s.credentials !== null && { id: "credential", done: s.credentials > 0 },
    { id: "target", done: s.targets.total > 0 },
    { id: "test", done: s.connectionTests.total > 0 },
    s.scans !== null && { id: "discovery", done: s.scans.total > 0 },
  ].filter((x): x is { id: string; done: boolean } => !!x);
  const done = (id: string) => steps.find((x) => x.id === id)?.done ?? false;
  const allDone = steps.every((x) => x.done);

  return (
    <>
      {s.masterKey?.generated && (
        <div className="alert alert-warning d-flex gap-2" role="alert" data-testid="master-key-warning">
          <KeyRound size={20} className="flex-shrink-0 mt-1" aria-hidden="true" />
          <div>
            <strong>Back up the master key.</strong> It was generated at first start
            {s.masterKey.file ? (
              <>
                {" "}
                into <code>{s.masterKey.file}</code>
              </>
            ) : null}
            . Every stored credential is encrypted with it: lose that file and they are gone. Copy it somewhere safe, or set{" "}
            <code>OPS_MASTER_KEY</code> from a secret store.
          </div>
        </div>
      )}

      {!allDone && (
        <div className="card mb-3" data-testid="getting-started">
          <div className="card-header fw-semibold">Getting started</div>
          <div className="card-body">
            <ol className="list-unstyled mb-0">
              {s.credentials !== null && (
                <CheckItem id="credential" done={done("credential")}>
                  <Link to="/credentials">Add a credential</Link>: the SSH key or password OpsConductor signs in with.
                </CheckItem>
              )}
              <CheckItem id="target" done={done("target")}>
                <Link to="/targets">Add a target</Link>: a server to manage (or import a CSV file).
              </CheckItem>
              <CheckItem id="test" done={done("test")}>
                <Link to="/targets">Test a connection</Link>: open a target and press Test connection, or select several.
              </CheckItem>
              {s.scans !== null && (
                <CheckItem id="discovery" done={done("discovery")}>
                  <Link to="/discovery">Run a discovery scan</Link> to find SSH servers on your networks.
                </CheckItem>
              )}
            </ol>
          </div>
        </div>
      )}

      <div className="row g-3 mb-3" data-testid="status-counts">
        <div className="col-6 col-md-4 col-xl-2">
          <Link to="/targets" className="card text-decoration-none h-100">
            <div className="card-body py-2">
              <div className="fs-3 fw-semibold" data-testid="count-total">
                {s.targets.total}
              </div>
              <div className="small text-body-secondary">targets</div>
            </div>
          </Link>
        </div>
        {TARGET_STATUSES.map((status) => (
          <div className="col-6 col-md-4 col-xl-2" key={status}>
            <Link to="/targets" search={{ status: [status] }} className="card text-decoration-none h-100">
              <div className="card-body py-2">
                <div className="fs-3 fw-semibold" data-testid={`count-${status}`}>
                  {s.targets.byStatus[status] ?? 0}
                </div>
                <div className="small text-body-secondary">{statusLabel(status).toLowerCase()}</div>
              </div>
            </Link>
          </div>
        ))}
      </div>

      <div className="row g-3">
        <div className={s.scans ? "col-12 col-lg-7" : "col-12"}>
          <RecentCard
            title="Recent connection tests"
            testId="recent-tests"
            empty="No tests yet."
            items={s.connectionTests.recent.map((t) => ({
              id: t.id,
              status: t.status,
              at: t.finishedAt ?? t.createdAt,
              body: (
                <>
                  <Link to="/targets/$id" params={{ id: t.targetId }} className="fw-medium">
                    {t.targetName}
                  </Link>
                  {t.error && <span className="text-danger text-break">{t.error}</span>}
                </>
              ),
            }))}
          />
        </div>
        {s.scans && (
          <div className="col-12 col-lg-5">
            <RecentCard
              title="Recent discovery scans"
              testId="recent-scans"
              empty="No scans yet."
              items={s.scans.recent.map((scan) => ({
                id: scan.id,
                status: scan.status,
                at: scan.finishedAt ?? scan.createdAt,
                body: (
                  <>
                    {allows(me, "discovery.read") ? (
                      <Link to="/discovery/$scanId" params={{ scanId: scan.id }} className="font-monospace text-break">
                        {scan.spec}
                      </Link>
                    ) : (
                      <span className="font-monospace text-break">{scan.spec}</span>
                    )}
                    <span>{scan.found} found</span>
                  </>
                ),
              }))}
            />
          </div>
        )}
      </div>
    </>
  );
}

/** The dashboard's front page: the inventory at a glance and the first steps of a new install. */
export function HomePage() {
  const me = useMe();
  return (
    <div>
      <h1 className="h3 mb-3">Welcome, {me.displayName || me.email}</h1>
      {allows(me, "targets.read") ? (
        <Overview />
      ) : (
        <>
          <p className="text-body-secondary">
            Signed in with {me.roles.length ? me.roles.map((r) => r.name).join(", ") : "no roles"}. Your roles do not include reading
            targets; ask an administrator if you need to see the inventory.
          </p>
          <div className="d-flex flex-wrap gap-2">
            <Link to="/profile" className="btn btn-outline-primary btn-sm">
              Your profile
            </Link>
            <Link to="/tokens" className="btn btn-outline-secondary btn-sm">
              API tokens
            </Link>
          </div>
        </>
      )}
    </div>
  );
}
