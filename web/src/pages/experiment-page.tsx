import { useEffect, useState } from "react";
import { WarningsNotice } from "../components/warnings-notice.js";
import { eventsUrl, enc, postJson, type ExperimentDetail, type JobRow } from "../api.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { DependencyGraph } from "../components/dependency-graph.js";
import { JobLog } from "../components/job-log.js";
import { StateBadge } from "../components/state-badge.js";
import { num, span, when } from "../format.js";
import { linkProps, useQueryParam } from "../router.js";

const finished = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** The experiment's detail, pushed by the server (SSE) whenever a job changes. */
function useLiveExperiment(id: string) {
  const [experiment, setExperiment] = useState<ExperimentDetail>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    const source = new EventSource(eventsUrl(`/experiments/${enc(id)}/events`));
    source.addEventListener("experiment", (event) => {
      setExperiment(JSON.parse((event as MessageEvent).data) as ExperimentDetail);
      setProblem(undefined);
    });
    source.addEventListener("problem", (event) => {
      setProblem((JSON.parse((event as MessageEvent).data) as { message: string }).message);
      source.close();
    });
    return () => source.close();
  }, [id]);
  return { experiment, problem };
}

function JobsTable(props: {
  jobs: readonly JobRow[];
  selected: string;
  onSelect: (name: string) => void;
  onCancel: (job: JobRow) => void;
}) {
  return (
    <table className="grid" data-testid="jobs">
      <thead>
        <tr>
          <th>#</th>
          <th>Name</th>
          <th>Task</th>
          <th>Identity</th>
          <th>Executor</th>
          <th>State</th>
          <th>Duration</th>
          <th>Latest metrics</th>
          <th>Retries</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.jobs.map((job) => (
          <tr
            key={job.name}
            data-job={job.name}
            className={`clickable${props.selected === job.name ? " selected" : ""}`}
            onClick={() => props.onSelect(job.name)}
          >
            <td>{job.index}</td>
            <td>
              {job.runId ? <a {...linkProps(`/runs/view?ids=${enc(job.runId)}`)}>{job.name}</a> : job.name}
            </td>
            <td>{job.task}</td>
            <td className="mono" title={job.identity}>
              {job.identity.slice(0, 10)}
            </td>
            <td>{job.executor}</td>
            <td>
              <StateBadge state={job.state} />
              {job.reason ? <span className="muted"> {job.reason}</span> : null}
              {job.exitCode !== undefined && job.exitCode !== 0 ? (
                <span className="muted"> (exit {job.exitCode})</span>
              ) : null}
            </td>
            <td>{span(job.startedAt, job.endedAt)}</td>
            <td className="mono">
              {Object.entries(job.metrics ?? {})
                .slice(0, 4)
                .map(([k, v]) => `${k}=${num(v)}`)
                .join("  ") || "-"}
            </td>
            <td>{job.retries > 0 ? `attempt ${job.attempt} of ${job.retries + 1}` : "-"}</td>
            <td>
              {!finished.has(job.state) && (
                <button
                  data-testid={`cancel-${job.name}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    props.onCancel(job);
                  }}
                >
                  Cancel
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ExperimentPage({ id }: { id: string }) {
  const { experiment: e, problem } = useLiveExperiment(id);
  const [job, setJob] = useQueryParam("job");
  const [asking, setAsking] = useState<{ job?: JobRow } | undefined>();
  const [cancelError, setCancelError] = useState<string>();
  const selected = job || e?.jobList[0]?.name || "";
  const cancel = async (target?: JobRow) => {
    setAsking(undefined);
    try {
      await postJson(`/experiments/${enc(id)}/cancel`, target ? { job: target.name } : { all: true });
      setCancelError(undefined);
    } catch (error) {
      setCancelError((error as Error).message);
    }
  };
  if (problem && !e) return <div className="error-box">{problem}</div>;
  if (!e) return <p className="muted">Loading {id}…</p>;
  const unfinished = e.jobList.some((j) => !finished.has(j.state));
  return (
    <>
      <h1>
        {e.title} <StateBadge state={e.state} />
      </h1>
      <div className="toolbar muted">
        <span className="mono" data-testid="experiment-id">
          {e.id}
        </span>
        <span>host {e.host}</span>
        <span>user {e.user}</span>
        {e.git && (
          <span className="mono">
            git {e.git.commit.slice(0, 8)}
            {e.git.dirty ? " (dirty)" : ""}
            {e.git.branch ? ` on ${e.git.branch}` : ""}
          </span>
        )}
        <span>started {when(e.createdAt)}</span>
        <span>{span(e.createdAt, e.finishedAt)}</span>
        <span data-testid="done-count">
          {e.jobs.COMPLETED ?? 0}/{e.jobs.total} done
        </span>
        {unfinished && (
          <button className="danger" data-testid="cancel-all" onClick={() => setAsking({})}>
            Cancel experiment
          </button>
        )}
      </div>
      {cancelError && <div className="error-box">{cancelError}</div>}
      <WarningsNotice warnings={e.warnings} />
      <div className="panel" style={{ overflowX: "auto" }}>
        <DependencyGraph jobs={e.jobList} selected={selected} onSelect={(name) => setJob(name, true)} />
      </div>
      <h2>Jobs</h2>
      <div style={{ overflowX: "auto" }}>
        <JobsTable
          jobs={e.jobList}
          selected={selected}
          onSelect={(name) => setJob(name, true)}
          onCancel={(j) => setAsking({ job: j })}
        />
      </div>
      {e.services.length > 0 && (
        <>
          <h2>Services</h2>
          <table className="grid" data-testid="services">
            <tbody>
              {e.services.map((s) => (
                <tr key={s.id}>
                  <td>{s.id}</td>
                  <td>{s.description}</td>
                  <td>
                    <StateBadge state={s.state} />
                  </td>
                  <td>
                    {s.url ? (
                      <a href={s.url} target="_blank" rel="noreferrer">
                        {s.url}
                      </a>
                    ) : (
                      "-"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Output</h2>
      {selected && <JobLog experimentId={e.id} job={selected} />}
      {asking && (
        <ConfirmDialog
          title={asking.job ? `Cancel job ${asking.job.name}?` : `Cancel experiment ${e.title}?`}
          confirmLabel={asking.job ? "Cancel job" : "Cancel every job"}
          onConfirm={() => void cancel(asking.job)}
          onClose={() => setAsking(undefined)}
        >
          {asking.job
            ? "The job is stopped and the jobs that depend on it are cancelled."
            : "Every unfinished job of this experiment is stopped."}
        </ConfirmDialog>
      )}
    </>
  );
}
