import { UsageError } from "../errors.js";
import { cliTable, programDescription } from "./cli-table.js";
import { reportError } from "./output.js";
import { buildProgram } from "./program.js";
import { packageVersion } from "./version.js";

let exitCode = 0;
const program = buildProgram({
  name: "labrun",
  version: packageVersion(),
  description: programDescription,
  table: cliTable,
  setExitCode: (code) => (exitCode = code),
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help")
    exitCode = 0;
  else if (typeof code === "string" && code.startsWith("commander.")) exitCode = 2;
  else
    exitCode = reportError(
      error instanceof Error && code === "commander.invalidArgument" ? new UsageError(error.message) : error,
    );
}
process.exitCode = exitCode;
