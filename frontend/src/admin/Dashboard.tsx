/**
 * `/admin`: the overview figures, the last 12 weeks, recent failures and every account. The overview loads first:
 * its 403 decides "Admins only" before anything else is asked, and its totals size the users and errors pagers
 * (those lists carry no total of their own). "Refresh" reloads every section in place.
 */

import { useState, type CSSProperties, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { formatDate, STEP_LABELS } from "../scribe/api";
import { adminApi } from "./api";
import {
  barPercent,
  fillWeeks,
  formatCount,
  formatDuration,
  formatRate,
  formatUsd,
  personLabel,
  plural,
  weekLabel,
} from "./format";
import { Failed, Loadable, Pager, Pending } from "./parts";
import type { AdminOverview } from "./types";
import { useLoad } from "./useLoad";

const ERRORS_PAGE = 10;
const USERS_PAGE = 20;

interface Stat {
  key: string;
  label: string;
  value: string;
  detail: string;
  tone?: "danger";
}

export function overviewStats(o: AdminOverview, locale?: string): Stat[] {
  const n = (value: number) => formatCount(value, locale);
  const probes = o.dry_runs;
  return [
        {
      key: "users",
      label: "Users",
      value: n(o.total_users),
      detail: `${plural(o.total_templates, "saved template", "saved templates", locale)}`,
    },
    {
      key: "emails",
      label: "Emails",
      value: n(o.total_emails),
      detail: `${n(o.needs_review_count)} ${o.needs_review_count === 1 ? "needs" : "need"} review`,
    },
    {
      key: "success_rate",
      label: "Success rate",
      // success_rate is succeeded / finished; with none succeeded and none failed nothing has finished.
      value: formatRate(o.success_rate, o.success_rate > 0 || o.error_count > 0, locale),
      detail: "of finished generations",
    },
    {
      key: "avg_time",
      label: "Average generation time",
      value: formatDuration(o.avg_gen_time_seconds, locale),
      detail: "from start to finished draft",
    },
    {
      key: "confidence_rate",
      label: "Confidence rate",
      value: formatRate(o.confidence_rate, o.total_emails > 0, locale),
      detail: "of emails ready without review",
    },
    {
      key: "errors",
      label: "Errors",
      value: n(o.error_count),
      detail: "failed generations",
      ...(o.error_count > 0 ? { tone: "danger" as const } : {}),
    },
    { key: "emails_week", label: "Emails this week", value: n(o.emails_this_week), detail: "last 7 days" },
    {
      key: "active_week",
      label: "Active users this week",
      value: n(o.active_users_this_week),
      detail: "wrote at least one email",
    },
    {
      key: "queue",
      label: "In the queue now",
      value: n(o.pending_count + o.processing_count),
      detail: `${n(o.pending_count)} waiting · ${n(o.processing_count)} working`,
    },
    {
      key: "dry_runs",
      label: "Dry-run probes",
      value: n(probes.runs),
      detail:
        `${n(probes.failed)} failed · last ${plural(probes.days, "day", "days", locale)} · ` +
        `${plural(probes.input_tokens + probes.output_tokens, "token", "tokens", locale)} · ` +
        formatUsd(probes.cost_usd, locale),
    },
  ];
}

function Section({ id, title, aside, children }: { id: string; title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <section className="stack-sm admin-section" aria-labelledby={id}>
      <div className="spread">
        <h2 id={id} className="admin-h2">
          {title}
        </h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

function OverviewCards({ overview }: { overview: AdminOverview }) {
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title" className="visually-hidden">
        Overview
      </h2>
      <dl className="admin-stats">
        {overviewStats(overview).map((stat) => (
          <div key={stat.key} className={`card admin-stat${stat.tone ? ` admin-stat-${stat.tone}` : ""}`} data-testid={`stat-${stat.key}`}>
            <dt className="small muted">{stat.label}</dt>
            <dd className="admin-stat-value">{stat.value}</dd>
            <dd className="small muted admin-stat-detail">{stat.detail}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Activity({ round }: { round: number }) {
  const activity = useLoad((signal) => adminApi.activity(signal), [round]);
  return (
    <Section id="activity-title" title="Last 12 weeks">
      <Loadable state={activity} isEmpty={(rows) => rows.length === 0} empty="No emails written in the last 12 weeks.">
        {(rows) => {
          const weeks = fillWeeks(rows, new Date());
          const most = Math.max(...weeks.map((week) => week.emails_generated));
          return (
            <div className="table-wrap">
              <table className="table admin-activity" data-testid="activity">
                <caption className="visually-hidden">Emails written and active users per week, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Week of</th>
                    <th scope="col">Emails</th>
                    <th scope="col" className="num">
                      Active users
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {weeks.map((week) => (
                    <tr key={week.week} data-week={week.week}>
                      <th scope="row" className="admin-week">
                        <time dateTime={week.week}>{weekLabel(week.week)}</time>
                      </th>
                      <td>
                        <div className="admin-bar-row">
                          <span className="admin-bar" aria-hidden="true">
                            <span style={{ "--value": `${barPercent(week.emails_generated, most)}%` } as CSSProperties} />
                          </span>
                          <span className="num">{formatCount(week.emails_generated)}</span>
                        </div>
                      </td>
                      <td className="num">{formatCount(week.active_users)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Loadable>
    </Section>
  );
}

function Errors({ round, total }: { round: number; total: number }) {
  const [page, setPage] = useState(1);
  const errors = useLoad((signal) => adminApi.errors(ERRORS_PAGE, (page - 1) * ERRORS_PAGE, signal), [round, page]);
  return (
    <Section id="errors-title" title="Recent errors">
      <Loadable state={errors} isEmpty={(rows) => rows.length === 0 && page === 1} empty="No failed generations.">
        {(rows) => (
          <>
            <ul className="admin-list" data-testid="errors">
              {rows.map((row) => (
                <li key={row.id} className="card admin-error">
                  <div className="spread">
                    <span>
                      <Link to={`/admin/users/${encodeURIComponent(row.user_id)}`}>
                        {personLabel({ id: row.user_id, display_name: row.user_display_name, email: row.user_email })}
                      </Link>
                      <span className="muted"> → {row.recipient_name}</span>
                    </span>
                    <time className="small muted" dateTime={row.created_at}>
                      {formatDate(row.created_at)}
                    </time>
                  </div>
                  <p className="small admin-message">{row.error_message || "No message was recorded."}</p>
                  <p className="small muted">
                    Step: {row.current_step ? (STEP_LABELS[row.current_step] ?? row.current_step) : "before the first step"}
                  </p>
                </li>
              ))}
            </ul>
            <Pager label="Error pages" page={page} perPage={ERRORS_PAGE} shown={rows.length} total={total}
              onPage={setPage} busy={errors.loading} />
          </>
        )}
      </Loadable>
    </Section>
  );
}

function Users({ round, total }: { round: number; total: number }) {
  const [page, setPage] = useState(1);
  const users = useLoad((signal) => adminApi.users(USERS_PAGE, (page - 1) * USERS_PAGE, signal), [round, page]);
  return (
    <Section id="users-title" title="Users" aside={<span className="small muted">Most emails first</span>}>
      <Loadable state={users} isEmpty={(rows) => rows.length === 0 && page === 1} empty="No accounts yet.">
        {(rows) => (
          <>
            <div className="table-wrap">
              <table className="table admin-users" data-testid="users">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col" className="num">Emails</th>
                    <th scope="col" className="num">Submitted</th>
                    <th scope="col" className="num">Failed</th>
                    <th scope="col" className="num">Templates</th>
                    <th scope="col">Joined</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.id} data-user-id={row.id}>
                      <td>
                        <Link to={`/admin/users/${encodeURIComponent(row.id)}`} state={{ user: row }}>
                          {personLabel(row)}
                        </Link>
                        {row.email && row.display_name ? <div className="small muted">{row.email}</div> : null}
                      </td>
                      <td>
                        <span className={`badge ${row.role === "admin" ? "badge-info" : "badge-muted"}`}>{row.role}</span>
                      </td>
                      <td className="num">{formatCount(row.actual_email_count)}</td>
                      <td className="num">{formatCount(row.queue_submissions)}</td>
                      <td className={`num${row.failed_count > 0 ? " admin-bad" : ""}`}>{formatCount(row.failed_count)}</td>
                      <td className="num">{formatCount(row.template_count)}</td>
                      <td className="small muted admin-when">{formatDate(row.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label="User pages" page={page} perPage={USERS_PAGE} shown={rows.length} total={total}
              onPage={setPage} busy={users.loading} />
          </>
        )}
      </Loadable>
    </Section>
  );
}

export function Dashboard() {
  const [round, setRound] = useState(0);
  const overview = useLoad((signal) => adminApi.overview(signal), [round]);
  return (
    <div className="stack-lg">
      <header className="page-header spread admin-dash-header">
        <div>
          <h1>Admin</h1>
          <p>How Scribe is used on this server. Dry-run probes are counted apart from everyone's figures.</p>
        </div>
        <button type="button" className="btn" onClick={() => setRound((value) => value + 1)} disabled={overview.loading}>
          {overview.loading && overview.data ? "Refreshing…" : "Refresh"}
        </button>
      </header>
      {overview.data === null ? (
        overview.error ? (
          <Failed error={overview.error} onRetry={overview.reload} />
        ) : (
          <Pending label="Loading the overview…" />
        )
      ) : (
        <>
          {overview.error && <Failed error={overview.error} onRetry={overview.reload} />}
          <OverviewCards overview={overview.data} />
          <div className="admin-columns">
            <Activity round={round} />
            <Errors round={round} total={overview.data.error_count} />
          </div>
          <Users round={round} total={overview.data.total_users} />
        </>
      )}
    </div>
  );
}
