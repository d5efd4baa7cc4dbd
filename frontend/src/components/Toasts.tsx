/** Toast messages: one polite live region, so screen readers announce them without stealing focus. */

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { ToastContext, type ToastKind, type ToastOptions } from "./toast-context";

interface Toast {
  id: number;
  message: string;
  kind: ToastKind;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
  }, []);

  const show = useCallback(
    (message: string, options: ToastOptions = {}) => {
      const kind = options.kind ?? "info";
      const id = nextId.current++;
      setToasts((current) => [...current.slice(-4), { id, message, kind }]);
      const timeout = options.timeout ?? (kind === "error" ? 8000 : 5000);
      if (timeout > 0) timers.current.set(id, setTimeout(() => dismiss(id), timeout));
    },
    [dismiss],
  );

  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((timer) => clearTimeout(timer));
  }, []);

  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toast-region" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast-${toast.kind}`}>
            <span>{toast.message}</span>
            <button className="btn btn-ghost btn-sm" type="button" onClick={() => dismiss(toast.id)}>
              <span aria-hidden="true">×</span>
              <span className="visually-hidden">Dismiss</span>
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
