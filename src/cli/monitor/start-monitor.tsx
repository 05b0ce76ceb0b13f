import { render } from "ink";
import type { Instance } from "ink";
import { MonitorApp } from "./monitor-app.js";
import type { MonitorAppProps } from "./monitor-app.js";

/** Draws the monitor on the terminal (ink is loaded only here, so other commands never pay for it). */
export function startMonitor(props: MonitorAppProps): Instance {
  return render(<MonitorApp {...props} />, {
    exitOnCtrlC: true,
    // Anything the library prints would land in the middle of the screen; ink keeps it above the frame.
    patchConsole: true,
    maxFps: 20,
  });
}
