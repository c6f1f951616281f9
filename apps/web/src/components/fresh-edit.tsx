import { Fragment, useEffect, useRef, useState, type ReactNode } from "react";
import { Modal } from "./modal";
import { LoadError, Loading } from "./states";

/**
 * Loads a fresh copy of what an edit form changes when it opens (a list row may be
 * minutes old), and again on "Reload" after the server refused a stale save; each load
 * re-opens the form with the values it brought.
 */
export function FreshEdit<T>(props: {
  title: string;
  load: () => Promise<T>;
  onClose: () => void;
  size?: "lg";
  children: (value: T, reload: () => void) => ReactNode;
}) {
  const [value, setValue] = useState<{ data: T; version: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const loading = useRef(false);
  const reload = () => {
    if (loading.current) return;
    loading.current = true;
    setError(null);
    props
      .load()
      .then((data) => setValue((old) => ({ data, version: (old?.version ?? 0) + 1 })))
      .catch(setError)
      .finally(() => (loading.current = false));
  };
  useEffect(reload, []);
  if (error || !value) {
    return (
      <Modal title={props.title} size={props.size} onClose={props.onClose}>
        {error ? <LoadError error={error} /> : <Loading />}
      </Modal>
    );
  }
  return <Fragment key={value.version}>{props.children(value.data, reload)}</Fragment>;
}
