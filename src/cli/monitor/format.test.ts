import { describe, expect, it } from "vitest";
import { columnWidths, fit, jobCounts, metricsText, printable } from "./format.js";

describe("monitor formatting", () => {
  it("fits text to a width, cutting with an ellipsis", () => {
    expect(fit("abc", 5)).toBe("abc  ");
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("héllo", 5)).toBe("héllo");
  });

  it("shares the width left by fixed columns among the flexible ones", () => {
    expect(columnWidths([{ width: 10 }, { flex: 1 }, { flex: 3 }], 54)).toEqual([10, 10, 30]);
    expect(columnWidths([{ width: 10 }, { flex: 1, min: 6 }], 12)).toEqual([10, 6]);
  });

  it("counts jobs as done/total, then the other states that have jobs", () => {
    expect(jobCounts({ COMPLETED: 1, RUNNING: 2, FAILED: 1, PENDING: 0, total: 4 })).toBe(
      "1/4 done, 2 running, 1 failed",
    );
  });

  it("shows metrics with four significant digits at most", () => {
    expect(metricsText({ "train.loss": 0.25, "train.step": 1200, "eval.acc": 0.912345, "x.y": NaN })).toBe(
      "train.loss=0.25 train.step=1200 eval.acc=0.9123 x.y=NaN",
    );
  });

  it("makes a job's output line safe to draw", () => {
    expect(printable("\u001b[31mred\u001b[0m text")).toBe("red text");
    expect(printable("10%\r50%\r100%")).toBe("100%");
    expect(printable("a\tb")).toBe("a       b");
    expect(printable("bell\u0007 \u001b]0;title\u0007ok")).toBe("bell ok");
  });
});
