import "bootstrap/dist/css/bootstrap.min.css";
import "./app/app.css";
import { startEarlyReads } from "./app/early-reads";
import { afterFirstPaint } from "./app/first-paint";

// The page's first reads leave before the dashboard's code is evaluated: they travel while
// it runs. The dashboard is its own chunk, downloaded beside this one (a modulepreload in
// index.html, vite.config.ts) and evaluated once this script has ended and the reads are out.
startEarlyReads(window.location);
// A run page may come with its title and last lines in the HTML: they paint first.
afterFirstPaint(() => void import("./app/mount"));
// The first Intl formatter a fresh renderer makes loads the locale's data: 50-170 ms in a
// new tab here, against 0.3-7 ms for the next one. Made now, while the dashboard's code is
// still on its way, the pages' own formatters (dates, counts) do not pay it in their first
// render.
new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(0);
