/** The HTML pages of `JobFilesService`: small, escaped, no scripts. */

export interface JobRow {
  readonly index: number;
  readonly name: string;
  readonly state: string;
  readonly href?: string;
}

export interface EntryRow {
  readonly name: string;
  readonly type: "file" | "directory" | "other";
  readonly size: number;
  readonly modified: string;
  readonly href: string;
}

const style = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; } td, th { padding: .2rem .8rem .2rem 0; text-align: left; }
th { border-bottom: 1px solid #ccc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: .8rem; overflow: auto; white-space: pre-wrap; word-break: break-all; }
a { color: #0645ad; text-decoration: none; } a:hover { text-decoration: underline; }
.muted { color: #777; }`;

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>${body}</body></html>
`;
}

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
}

/** `/`: the experiment's jobs, each linking to its directory. */
export function indexPage(experimentId: string, jobs: readonly JobRow[]): string {
  const rows = jobs
    .map(
      (job) =>
        `<tr><td class="num">${job.index}</td><td>${job.href ? link(job.href, job.name) : escapeHtml(job.name)}</td>` +
        `<td>${escapeHtml(job.state)}</td></tr>`,
    )
    .join("\n");
  return page(
    `Jobs of ${experimentId}`,
    `<h1>Jobs of ${escapeHtml(experimentId)}</h1>
${jobs.length ? `<table><tr><th>#</th><th>Job</th><th>State</th></tr>\n${rows}</table>` : '<p class="muted">No jobs yet.</p>'}
${jobs.some((job) => !job.href) ? '<p class="muted">Jobs without a link are not launched yet.</p>' : ""}`,
  );
}

/** A directory of a job: its entries, directories first. */
export function directoryPage(job: string, relPath: string, entries: readonly EntryRow[]): string {
  const rows = entries
    .map(
      (entry) =>
        `<tr><td>${link(entry.href, entry.name + (entry.type === "directory" ? "/" : ""))}</td>` +
        `<td class="num">${entry.type === "file" ? formatSize(entry.size) : ""}</td>` +
        `<td class="muted">${escapeHtml(entry.modified.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</td></tr>`,
    )
    .join("\n");
  return page(
    `${job}/${relPath}`,
    `<p>${link("/", "jobs")} / ${breadcrumbs(job, relPath)}</p>
${entries.length ? `<table><tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n${rows}</table>` : '<p class="muted">Empty directory.</p>'}`,
  );
}

/** A text file shown in the page, with links to the raw file and to download it. */
export function previewPage(
  job: string,
  relPath: string,
  text: string,
  info: { size: number; truncated: boolean },
): string {
  const href = fileHref(job, relPath);
  return page(
    `${job}/${relPath}`,
    `<p>${link("/", "jobs")} / ${breadcrumbs(job, relPath)}</p>
<p class="muted">${formatSize(info.size)} · ${link(`${href}?raw`, "raw")} · ${link(`${href}?download`, "download")}${
      info.truncated ? " · only the beginning is shown" : ""
    }</p>
<pre>${escapeHtml(text)}</pre>`,
  );
}

export function messagePage(status: number, message: string): string {
  return page(`${status}`, `<h1>${status}</h1><p>${escapeHtml(message)}</p><p>${link("/", "jobs")}</p>`);
}

/** The URL path of a job's file or directory (each segment encoded). */
export function fileHref(job: string, relPath: string, directory = false): string {
  const segments = relPath.split("/").filter(Boolean).map(encodeURIComponent);
  return `/jobs/${[encodeURIComponent(job), ...segments].join("/")}${directory ? "/" : ""}`;
}

function breadcrumbs(job: string, relPath: string): string {
  const segments = relPath.split("/").filter(Boolean);
  const crumbs = [link(fileHref(job, "", true), job)];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    crumbs.push(
      last ? escapeHtml(segment) : link(fileHref(job, segments.slice(0, i + 1).join("/"), true), segment),
    );
  });
  return crumbs.join(" / ");
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const rawTypes: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".json": "application/json; charset=utf-8",
  ".jsonl": "text/plain; charset=utf-8",
};

/**
 * The Content-Type a raw file is served with. Anything that is not a known image, PDF or JSON is text or
 * bytes, so that an HTML file in a job directory is shown, not run.
 */
export function rawContentType(extension: string, isText: boolean): string {
  return (
    rawTypes[extension.toLowerCase()] ?? (isText ? "text/plain; charset=utf-8" : "application/octet-stream")
  );
}
