import { useEffect, useState } from "react";
import { getJson, onLoginNeeded, token } from "./api.js";
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

/** The team server (`labrun serve`) asks for a token; it is kept in this browser. */
function Login({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState("");
  return (
    <form
      className="panel"
      style={{ maxWidth: 520, margin: "60px auto" }}
      onSubmit={(e) => {
        e.preventDefault();
        token.set(value.trim());
        onDone();
      }}
    >
      <h1>Sign in</h1>
      <p className="muted">
        This server needs a token. Create one on the server with{" "}
        <span className="mono">labrun token create</span>.
      </p>
      <div className="toolbar">
        <input
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="token"
          style={{ flex: 1 }}
          data-testid="token"
        />
        <button className="primary" type="submit">
          Sign in
        </button>
      </div>
    </form>
  );
}

export function App() {
  const { path } = useLocation();
  const [info, setInfo] = useState<Info>();
  const [login, setLogin] = useState(false);
  const [session, setSession] = useState(0);
  useEffect(() => onLoginNeeded(() => setLogin(true)), []);
  useEffect(() => {
    getJson<Info>("/info").then(setInfo, () => undefined);
  }, [session]);
  if (login)
    return (
      <Login
        onDone={() => {
          setLogin(false);
          setSession((s) => s + 1);
        }}
      />
    );
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
        {token.get() && (
          <button onClick={() => (token.set(""), location.reload())} title="forget the token">
            Sign out
          </button>
        )}
      </header>
      <main key={session}>{page}</main>
    </>
  );
}
