import { Box, Text } from "ink";
import { fit, printable } from "./format.js";
import { tint, useColorEnabled } from "./theme.js";
import type { LogTail } from "./use-log-tail.js";

export interface LogViewProps {
  readonly tail: LogTail;
  readonly width: number;
  readonly height: number;
  /** Lines above the newest where the view ends (0: following the end). */
  readonly scroll: number;
}

/**
 * The last lines of a job's output that fit the screen, followed live. stderr lines carry a `!` gutter
 * (and red text when colours are on), so they stand out without colours too.
 */
export function LogView({ tail, width, height, scroll }: LogViewProps) {
  const color = useColorEnabled();
  const end = Math.max(0, tail.lines.length - scroll);
  const shown = tail.lines.slice(Math.max(0, end - height), end);
  const message =
    tail.error !== undefined
      ? `Cannot read the output: ${(tail.error as Error).message ?? String(tail.error)}`
      : tail.lines.length === 0
        ? tail.ended
          ? "The job wrote no output."
          : "Waiting for output…"
        : undefined;
  return (
    <Box flexDirection="column" height={height}>
      {message !== undefined ? (
        <Text
          dimColor={tail.error === undefined}
          {...(tail.error !== undefined ? { color: tint("red", color) } : {})}
        >
          {message}
        </Text>
      ) : (
        shown.map((line, i) =>
          line.stream === "stderr" ? (
            <Text key={end - shown.length + i} wrap="truncate-end" {...(color ? { color: "red" } : {})}>
              {"! " + fit(printable(line.line), width - 2).trimEnd()}
            </Text>
          ) : (
            <Text key={end - shown.length + i} wrap="truncate-end">
              {"  " + fit(printable(line.line), width - 2).trimEnd()}
            </Text>
          ),
        )
      )}
    </Box>
  );
}
