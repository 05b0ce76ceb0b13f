import { Box, Text } from "ink";
import { fit } from "./format.js";
import { keyBindings } from "./keys.js";
import type { ScreenKind } from "./keys.js";

const screenNames: Record<ScreenKind, string> = {
  experiments: "experiments list",
  jobs: "an experiment's jobs",
  log: "a job's output",
};

/** Every key of the monitor, with the screens where it works. */
export function HelpView({ height }: { readonly height: number }) {
  const width = Math.max(...keyBindings.map((binding) => binding.keys.length)) + 2;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>Keys (any of ? Esc Enter closes this help)</Text>
      {keyBindings.map((binding, i) => (
        <Text key={i} wrap="truncate-end">
          <Text bold>{fit(binding.keys, width)}</Text>
          {binding.does}
          <Text dimColor>{`  — ${binding.screens.map((screen) => screenNames[screen]).join(", ")}`}</Text>
        </Text>
      ))}
      <Text> </Text>
      <Text dimColor wrap="truncate-end">
        Jobs are read again every half second; the output is followed as the job writes it.
      </Text>
      <Text dimColor wrap="truncate-end">
        Cancelling asks the process that drives the experiment, as `labrun experiment cancel` does.
      </Text>
    </Box>
  );
}
