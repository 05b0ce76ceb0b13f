/**
 * `labrun monitor [<experiment-id>]`. The monitor (and ink, React) is loaded only when the command runs.
 */
export async function monitorCommand(
  id: string | undefined,
  options: { readonly workspace?: string | undefined },
): Promise<number> {
  const { runMonitor } = await import("../monitor/run-monitor.js");
  const code = await runMonitor({
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(id ? { experiment: id } : {}),
  });
  // The screen is restored; a handle left open by a follower must not keep the terminal waiting.
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}
