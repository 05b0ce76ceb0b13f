import { useEffect, useRef, useState } from "react";
import { eventsUrl, enc } from "../api.js";
import { useQueryParam } from "../router.js";

interface Line {
  stream: string;
  line: string;
}

const maxLines = 20_000;

/** A job's stdout and stderr, followed live (SSE) until the job ends, filtered by a regular expression. */
export function JobLog({ experimentId, job }: { experimentId: string; job: string }) {
  const [regex, setRegex] = useQueryParam("re");
  const [draft, setDraft] = useState(regex);
  const [lines, setLines] = useState<Line[]>([]);
  const [status, setStatus] = useState("connecting");
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setLines([]);
    setStatus("following");
    const url = eventsUrl(
      `/experiments/${enc(experimentId)}/jobs/${enc(job)}/log?follow=1${regex ? `&regex=${enc(regex)}` : ""}`,
    );
    const source = new EventSource(url);
    source.addEventListener("lines", (event) => {
      const batch = JSON.parse((event as MessageEvent).data) as Line[];
      setLines((old) => {
        const next = old.concat(batch);
        return next.length > maxLines ? next.slice(next.length - maxLines) : next;
      });
    });
    source.addEventListener("end", () => {
      setStatus("ended");
      source.close(); // EventSource would otherwise reconnect and replay the log
    });
    source.addEventListener("problem", (event) => {
      setStatus(`error: ${(JSON.parse((event as MessageEvent).data) as { message: string }).message}`);
      source.close();
    });
    return () => source.close();
  }, [experimentId, job, regex]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <div data-testid="job-log">
      <div className="toolbar">
        <strong>{job}</strong>
        <span className="muted" data-testid="log-status">
          {status === "following" ? "● live" : status}
        </span>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setRegex(draft);
          }}
          style={{ display: "flex", gap: 6 }}
        >
          <input
            placeholder="filter (regular expression)"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            data-testid="log-regex"
            className="mono"
          />
          <button type="submit">Filter</button>
        </form>
        <span className="muted">{lines.length} lines</span>
      </div>
      <div
        className="log"
        ref={box}
        data-testid="log-lines"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 20;
        }}
      >
        {lines.map((l, i) => (
          <div key={i} className={l.stream === "stderr" ? "stderr" : ""}>
            {l.line}
          </div>
        ))}
      </div>
    </div>
  );
}
