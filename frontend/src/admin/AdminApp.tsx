/**
 * The operator's page at `/admin/*`, over the read-only `/api/admin` views: the dashboard at `/admin` and one
 * account at `/admin/users/:id`. Signed-out visitors get the usual sign-in prompt (RequireAuth). Whether someone is
 * an admin is the server's call: the first 403 from any section replaces the page with "Admins only".
 */

import { useCallback, useEffect, useState } from "react";
import { Link, Route, Routes } from "react-router-dom";
import type { ApiError } from "../api/client";
import { useAuth } from "../auth/context";
import { RequireAuth } from "../auth/RequireAuth";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { Dashboard } from "./Dashboard";
import { AdminsOnly } from "./parts";
import { ForbiddenContext } from "./useLoad";
import { UserView } from "./UserView";
import "./admin.css";

function NoSuchPage() {
  return (
    <div className="page-header stack-sm">
      <h1>Nothing here</h1>
      <p>
        The admin area has the <Link to="/admin">overview</Link> and one page per user.
      </p>
    </div>
  );
}

function Admin() {
  const auth = useAuth();
  const [forbidden, setForbidden] = useState(false);
  const onForbidden = useCallback((_: ApiError) => setForbidden(true), []);
  useDocumentTitle(forbidden ? "Admins only" : "Admin");
  // Another account signed in (or out and back) in this tab: ask the server again.
  const account = auth.user?.id ?? null;
  useEffect(() => setForbidden(false), [account]);

  if (forbidden) return <AdminsOnly />;
  return (
    <ForbiddenContext.Provider value={onForbidden}>
      <div className="container admin">
        <Routes>
          <Route index element={<Dashboard />} />
          <Route path="users/:id" element={<UserView />} />
          <Route path="*" element={<NoSuchPage />} />
        </Routes>
      </div>
    </ForbiddenContext.Provider>
  );
}

export default function AdminApp() {
  return (
    <RequireAuth what="the admin page">
      <Admin />
    </RequireAuth>
  );
}
