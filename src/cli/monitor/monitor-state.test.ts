import { describe, expect, it } from "vitest";
import { currentScreen, handleKey, initialState, selectedIndex, splitTyped } from "./monitor-state.js";
import type { Keys, MonitorState, View } from "./monitor-state.js";

const view = (keys: string[], extra: Partial<View> = {}): View => ({
  items: keys.map((key) => ({ key, active: key !== "done" })),
  pageSize: 2,
  ...extra,
});
/** Presses keys in order: "j", "/", or a Keys object for special keys. */
function press(state: MonitorState, v: View, ...keys: (string | Keys)[]) {
  let result = { state } as ReturnType<typeof handleKey>;
  for (const key of keys)
    result =
      typeof key === "string" ? handleKey(result.state, key, {}, v) : handleKey(result.state, "", key, v);
  return result;
}

describe("monitor keys", () => {
  const list = view(["a", "b", "c", "done"]);

  it("moves the selection by item, page and end, and keeps it on the same item when the list changes", () => {
    let { state } = press(initialState(), list, "j", { downArrow: true });
    expect(selectedIndex(state, list.items)).toBe(2);
    state = press(state, list, { pageDown: true }).state;
    expect(selectedIndex(state, list.items)).toBe(3); // clamped at the end
    state = press(state, list, "g").state;
    expect(selectedIndex(state, list.items)).toBe(0);
    state = press(state, list, "G", "k").state;
    // A new experiment on top: the selection stays on "c".
    expect(selectedIndex(state, view(["new", "a", "b", "c", "done"]).items)).toBe(3);
  });

  it("opens with Enter and goes back with Esc or Backspace, never past the first screen", () => {
    let result = press(initialState(), list, "j", { return: true });
    expect(currentScreen(result.state)).toEqual({ kind: "jobs", experiment: "b" });
    result = press(result.state, view(["train"]), { return: true });
    expect(currentScreen(result.state)).toEqual({ kind: "log", experiment: "b", job: "train" });
    result = press(result.state, view([]), { escape: true }, { backspace: true });
    expect(currentScreen(result.state)).toEqual({ kind: "experiments" });
    result = press(result.state, list, { escape: true });
    expect(currentScreen(result.state).kind).toBe("experiments");
    expect(result.notice).toMatch(/q quits/);
  });

  it("types a filter after /, where q and j are text, not commands", () => {
    const result = press(initialState(), list, "/", "q", "j", { backspace: true });
    expect(result.effect).toBeUndefined();
    expect(result.state.filters.experiments).toBe("q");
    const kept = press(result.state, list, { return: true });
    expect(kept.state.editingFilter).toBe(false);
    expect(kept.state.filters.experiments).toBe("q");
    expect(press(kept.state, list, { escape: true }).state.filters.experiments).toBe(""); // Esc clears it first
  });

  it("asks before cancelling, and cancels only on y", () => {
    const jobs = view(["train", "done"], { experimentActive: true });
    const opened = initialState("exp-1");
    const asked = press(opened, jobs, "c");
    expect(asked.state.confirm?.question).toMatch(/Cancel job train/);
    expect(press(asked.state, jobs, "n").effect).toBeUndefined();
    expect(press(asked.state, jobs, "x").state.confirm).toBeDefined(); // other keys wait for y or n
    expect(press(asked.state, jobs, "y").effect).toEqual({
      kind: "cancel-job",
      experiment: "exp-1",
      job: "train",
    });
    expect(press(opened, jobs, "C", "y").effect).toEqual({ kind: "cancel-experiment", experiment: "exp-1" });
    // A job that has ended: nothing to ask.
    const ended = press(opened, jobs, "j", "c");
    expect(ended.state.confirm).toBeUndefined();
    expect(ended.notice).toMatch(/already ended/);
  });

  it("scrolls the log back and returns to following with End", () => {
    const log = view([], { lines: 100, pageSize: 10 });
    let { state } = press(initialState("e"), view(["train"]), { return: true });
    state = press(state, log, { upArrow: true }, { pageUp: true }).state;
    expect(state.scroll).toBe(10);
    state = press(state, log, "g").state;
    expect(state.scroll).toBe(90);
    expect(press(state, log, { end: true }).state.scroll).toBe(0);
  });

  it("quits on q, and from the help screen", () => {
    expect(press(initialState(), list, "q").effect).toEqual({ kind: "quit" });
    const help = press(initialState(), list, "?");
    expect(help.state.help).toBe(true);
    expect(press(help.state, list, "j").state.help).toBe(true);
    expect(press(help.state, list, { escape: true }).state.help).toBe(false);
  });

  it("splits text that arrived in one piece into one key per character", () => {
    expect(splitTyped("/live\r", {})).toEqual([
      ["/", {}],
      ["l", {}],
      ["i", {}],
      ["v", {}],
      ["e", {}],
      ["", { return: true }],
    ]);
    expect(splitTyped("c", { ctrl: true })).toEqual([["c", { ctrl: true }]]);
    const [, ctrlC] = splitTyped("j\u0003", {});
    expect(handleKey(initialState(), ctrlC![0], ctrlC![1], view([])).effect).toEqual({ kind: "quit" });
  });
});
