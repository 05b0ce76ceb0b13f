import { createRoot } from "react-dom/client";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { App } from "./app.js";
import { followMlflowLink } from "./mlflow-links.js";

followMlflowLink();

createRoot(document.getElementById("root")!).render(<App />);
