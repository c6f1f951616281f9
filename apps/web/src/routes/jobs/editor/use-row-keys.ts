import { useRef } from "react";

let next = 1;

/**
 * React keys for rows the user adds, removes and reorders (steps, edges, parameters): a
 * row keeps its key when others move, so text a row holds while it is being typed stays
 * with it. A list replaced wholesale (the JSON view) gets fresh keys.
 */
export function useRowKeys(length: number) {
  const keys = useRef<number[]>([]);
  if (keys.current.length !== length) keys.current = Array.from({ length }, () => next++);
  return {
    keys: keys.current,
    add: () => void keys.current.push(next++),
    remove: (i: number) => void keys.current.splice(i, 1),
    swap: (i: number, j: number) => {
      const k = keys.current;
      [k[i], k[j]] = [k[j]!, k[i]!];
    },
  };
}
