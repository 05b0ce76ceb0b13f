import { useEffect, useState } from "react";
import { getJson } from "./api.js";
import { linkProps, useLocation } from "./router.js";
import { ExperimentsPage } from "./pages/experiments-page.js";
import { ExperimentPage } from "./pages/experiment-page.js";
import { RunsPage } from "./pages/runs-page.js";
import { RunPage } from "./pages/run-page.js";

interface Info {
  kind: string;
  label: string;
  capabilities: { experiments: boolean; cancel: boolean };
}

function ThemeToggle() {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? "light");
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("labrun-theme", theme);
  }, [theme]);
  return (
    <button data-testid="theme" onClick={() => setTheme(theme === "dark" ? "light" : "dark")}>
      {theme === "dark" ? "☀ Light" : "☾ Dark"}
    </button>
  );
}

export function App() {
  const { path } = useLocation();
  const [info, setInfo] = useState<Info>();
  useEffect(() => {
    getJson<Info>("/info").then(setInfo, () => undefined);
  }, []);
  const experiments = info?.capabilities.experiments ?? true;
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  let page;
  if (segments[0] === "experiments" && segments[1]) page = <ExperimentPage id={segments[1]} />;
  else if (segments[0] === "runs" && segments[1] === "view") page = <RunPage />;
  else if (segments[0] === "runs" || !experiments) page = <RunsPage />;
  else page = <ExperimentsPage />;
  const section = segments[0] === "runs" || !experiments ? "runs" : "experiments";
  return (
    <>
      <header className="top">
        <a className="brand" {...linkProps("/")}>
          labrun
        </a>
        <nav>
          {experiments && (
            <a className={section === "experiments" ? "active" : ""} {...linkProps("/experiments")}>
              Experiments
            </a>
          )}
          <a className={section === "runs" ? "active" : ""} {...linkProps("/runs")}>
            Runs
          </a>
        </nav>
        <span className="source" title={info?.kind}>
          {info?.label}
        </span>
        <ThemeToggle />
      </header>
      <main>{page}</main>
    </>
  );
}
