import { createRoot } from "react-dom/client";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { App } from "./app.js";

createRoot(document.getElementById("root")!).render(<App />);
