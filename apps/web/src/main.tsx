import "bootstrap/dist/css/bootstrap.min.css";
import "./app/app.css";
import { startEarlyReads } from "./app/early-reads";

// The page's first reads leave before the dashboard's code is evaluated: they travel while
// it runs. The dashboard is its own chunk, downloaded beside this one (a modulepreload in
// index.html, vite.config.ts) and evaluated once this script has ended and the reads are out.
startEarlyReads(window.location);
void import("./app/mount");
