import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { router } from "../router";
import { adoptEarlyReads } from "./early-answers";
import { dropFirstPaint } from "./first-paint";
import { queryClient } from "./trpc";

adoptEarlyReads(queryClient);
// The server's first paint is a run page's: any other page (sign-in, a link followed) shows at once.
router.subscribe("onResolved", ({ toLocation }) => {
  if (!/^\/runs\/[^/]+\/?$/.test(toLocation.pathname)) dropFirstPaint();
});

/** The dashboard itself: React, the router and its routes (each page a chunk of its own). */
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
