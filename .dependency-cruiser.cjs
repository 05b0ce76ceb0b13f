// The layers of shared/DESIGN.md "Shape" (and docs/architecture.md) as rules: `npm run lint:layers`.
//
//   cli → server → experiment → scheduler → executors → workspace → config → format → util/errors
//                  experiment → tracking → store → format
//
// A layer may import any layer below it, never one above; errors.ts (with errors/) and util/ are the ground
// floor. Nothing imports cli/ or server/ (they are entry points), and nothing inside src/ imports the public
// index (src/index.ts): it is for users only.

/** Folders (under src/) that each layer may import besides itself; errors.ts and util/ are the ground floor. */
const below = {
  util: [],
  format: [],
  config: ["format"],
  workspace: ["config", "format"],
  executors: ["workspace", "config", "format"],
  scheduler: ["executors", "workspace", "config", "format"],
  store: ["format"],
  tracking: ["store", "format"],
  experiment: ["scheduler", "executors", "workspace", "config", "tracking", "store", "format"],
  // labrun/testing: the contract suites run against any backend, below the entry points.
  testing: ["experiment", "scheduler", "executors", "workspace", "config", "tracking", "store", "format"],
  server: ["experiment", "scheduler", "executors", "workspace", "config", "tracking", "store", "format"],
  cli: [
    "server",
    "experiment",
    "scheduler",
    "executors",
    "workspace",
    "config",
    "tracking",
    "store",
    "format",
  ],
};

const ground = "^src/errors\\.ts$|^src/errors/|^src/util/";

const layerRules = Object.entries(below).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only ${allowed.length ? allowed.join(", ") + ", " : ""}util/ and errors.ts (DESIGN.md "Shape").`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: {
    path: "^src/",
    pathNot: [ground, `^src/${layer}/`, ...allowed.map((name) => `^src/${name}/`)].join("|"),
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "errors-ground-floor",
      comment: "errors.ts and errors/ are the ground floor: they import nothing else from src/.",
      severity: "error",
      from: { path: "^src/errors(\\.ts$|/)" },
      to: { path: "^src/", pathNot: "^src/errors(\\.ts$|/)" },
    },
    {
      name: "no-public-index-inside",
      comment:
        "src/index.ts and src/extend.ts are the public API (labrun, labrun/extend); code inside src/ imports the module it needs.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(index|extend)\\.ts$" },
      to: { path: "^src/(index|extend)\\.ts$" },
    },
    {
      name: "no-entry-points-from-below",
      comment: "cli/ and server/ are entry points: only cli/ imports server/, nothing imports cli/.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|server)/" },
      to: { path: "^src/(cli|server)/" },
    },
    {
      name: "no-circular",
      comment:
        "No import cycles (type-only imports included: a cycle of types is still two modules that know each other).",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.tsx?$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".d.ts"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
