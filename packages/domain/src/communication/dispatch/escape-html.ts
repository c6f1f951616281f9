/** For the few lines of HTML the dispatcher writes itself (notes, digests); templates escape through liquidjs. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
