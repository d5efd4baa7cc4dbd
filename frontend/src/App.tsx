/**
 * Routes. Each app is its own lazily loaded chunk, so opening the reader never downloads Scribe and the start
 * page stays small. Apps own everything under their prefix (`/scribe/*`, `/read/*`, `/admin/*`) with nested `<Routes>`.
 */

import { lazy, Suspense, type ReactNode } from "react";
import { Route, Routes } from "react-router-dom";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Layout } from "./components/Layout";
import { Loading } from "./components/Loading";
import Home from "./pages/Home";
import NotFound from "./pages/NotFound";
import Status from "./pages/Status";

const ScribeApp = lazy(() => import("./scribe/ScribeApp"));
const ReaderApp = lazy(() => import("./companion/ReaderApp"));
const SignInPage = lazy(() => import("./auth/SignInPage"));
const AdminApp = lazy(() => import("./admin/AdminApp"));

function Lazy({ children }: { children: ReactNode }) {
  return (
    <ErrorBoundary>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </ErrorBoundary>
  );
}

export default function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="status" element={<Status />} />
        <Route
          path="scribe/*"
          element={
            <Lazy>
              <ScribeApp />
            </Lazy>
          }
        />
        <Route
          path="read/*"
          element={
            <Lazy>
              <ReaderApp />
            </Lazy>
          }
        />
        <Route
          path="admin/*"
          element={
            <Lazy>
              <AdminApp />
            </Lazy>
          }
        />
        <Route
          path="signin"
          element={
            <Lazy>
              <SignInPage />
            </Lazy>
          }
        />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
