/** `useToast()`: show a short message in the corner; the provider lives in Toasts.tsx. */

import { createContext, useContext } from "react";

export type ToastKind = "info" | "ok" | "error";

export interface ToastOptions {
  kind?: ToastKind;
  /** Milliseconds before it disappears; 0 keeps it until dismissed. Default 5000 (errors: 8000). */
  timeout?: number;
}

export type ShowToast = (message: string, options?: ToastOptions) => void;

export const ToastContext = createContext<ShowToast | null>(null);

export function useToast(): ShowToast {
  const show = useContext(ToastContext);
  if (!show) throw new Error("useToast() must be used inside <ToastProvider>");
  return show;
}
