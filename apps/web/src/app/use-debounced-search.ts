import { useEffect, useState } from "react";

/**
 * Local text for a search box that reaches the URL 300 ms after typing stops, so every
 * keystroke is not a request. `commit` gets the text, or undefined when it is empty.
 */
export function useDebouncedSearch(current: string | undefined, commit: (search: string | undefined) => unknown) {
  const [text, setText] = useState(current ?? "");
  useEffect(() => {
    const t = setTimeout(() => {
      if ((current ?? "") !== text) void commit(text || undefined);
    }, 300);
    return () => clearTimeout(t);
  }, [text]);
  return [text, setText] as const;
}
