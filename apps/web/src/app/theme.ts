export type Theme = "light" | "dark";
const KEY = "ops.theme";

/** Bootstrap's colour mode; remembered locally so the login page matches before sign-in. */
export function applyTheme(theme: Theme) {
  document.documentElement.setAttribute("data-bs-theme", theme);
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // storage may be disabled; the server copy still wins after sign-in
  }
}

export function rememberedTheme(): Theme {
  try {
    return localStorage.getItem(KEY) === "dark" ? "dark" : "light";
  } catch {
    return "light";
  }
}
