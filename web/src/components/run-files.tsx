import { useEffect, useState } from "react";
import { authedFetch, enc, getJson, token, useAuthedUrl, type RunFileDto } from "../api.js";
import { bytes, when } from "../format.js";
import { useData } from "./use-data.js";

const textLike = (type: string) =>
  type.startsWith("text/") || ["application/json", "application/yaml", "application/x-ndjson"].includes(type);

function Preview({ runId, file }: { runId: string; file: RunFileDto }) {
  const path = `/runs/${enc(runId)}/files/${enc(file.id)}`;
  const image = file.contentType.startsWith("image/");
  const url = useAuthedUrl(image ? path : "");
  const [text, setText] = useState<string>();
  useEffect(() => {
    setText(undefined);
    if (!textLike(file.contentType)) return;
    authedFetch(path)
      .then((r) => r.text())
      .then((t) => setText(t.length > 200_000 ? `${t.slice(0, 200_000)}\n…` : t));
  }, [path, file.contentType]);
  if (image) return url ? <img src={url} alt={file.filename} data-testid="image-preview" /> : null;
  if (textLike(file.contentType))
    return (
      <pre className="log" style={{ height: "auto", maxHeight: 420 }} data-testid="text-preview">
        {text ?? "loading…"}
      </pre>
    );
  return <p className="muted">No preview for {file.contentType}; download it.</p>;
}

/** Downloads through fetch when a token is needed (a plain link cannot send it). */
async function download(path: string, filename: string): Promise<void> {
  const blob = await (await authedFetch(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A run's stored files: download any, preview images and text. */
export function RunFiles({ runId }: { runId: string }) {
  const { data } = useData(() => getJson<{ files: RunFileDto[] }>(`/runs/${enc(runId)}/files`), [runId]);
  const [open, setOpen] = useState<string>();
  const files = data?.files ?? [];
  const current = files.find((f) => f.id === open);
  return (
    <div data-testid="run-files">
      <table className="grid">
        <thead>
          <tr>
            <th>Folder</th>
            <th>File</th>
            <th>Type</th>
            <th>Size</th>
            <th>Stored</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr
              key={f.id}
              className={`clickable${open === f.id ? " selected" : ""}`}
              onClick={() => setOpen(f.id)}
              data-file={f.filename}
            >
              <td className="mono">{f.path}</td>
              <td>{f.filename}</td>
              <td className="muted">{f.contentType}</td>
              <td>{bytes(f.sizeBytes)}</td>
              <td>{when(f.uploadedAt)}</td>
              <td>
                <a
                  href={`/api/dashboard/runs/${enc(runId)}/files/${enc(f.id)}?download=1`}
                  download={f.filename}
                  onClick={(e) => {
                    e.stopPropagation();
                    if (!token.get()) return;
                    e.preventDefault();
                    void download(`/runs/${enc(runId)}/files/${enc(f.id)}?download=1`, f.filename);
                  }}
                >
                  download
                </a>
              </td>
            </tr>
          ))}
          {data && files.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                This run stored no files.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {current && (
        <div className="preview">
          <Preview runId={runId} file={current} />
        </div>
      )}
    </div>
  );
}
