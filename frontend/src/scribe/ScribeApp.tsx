/**
 * Scribe at `/scribe/*`: Write (template + recipients), Queue (live progress), Emails (history and review),
 * Templates and Mail (the mailboxes drafts and sends go to). Behind sign-in when the server has accounts; the profile (quota, saved template) loads once here.
 */

import { useEffect, useState } from "react";
import { NavLink, Route, Routes } from "react-router-dom";
import { RequireAuth } from "../auth/RequireAuth";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { scribeApi } from "./api";
import { ComposeView } from "./ComposeView";
import { EmailView } from "./EmailView";
import { HistoryView } from "./HistoryView";
import { MailView } from "./mail/MailView";
import { QueueView, useQueue } from "./QueueView";
import { TemplatesView } from "./TemplatesView";
import type { Profile, QueueItem } from "./types";
import "./scribe.css";

function ActiveCount({ items }: { items: QueueItem[] | null }) {
  const active = (items ?? []).filter((item) => item.status === "pending" || item.status === "processing").length;
  return active > 0 ? <span className="badge badge-info nav-count">{active}</span> : null;
}

function Scribe() {
  const [profile, setProfile] = useState<Profile | null>(null);
  const queue = useQueue(); // one live stream for the whole app: the tab badge and the queue page share it
  useDocumentTitle("Scribe");
  useEffect(() => {
    scribeApi.profile().then(setProfile).catch(() => undefined);
  }, []);
  return (
    <div className="container scribe">
      <header className="page-header scribe-header">
        <div>
          <h1>Scribe</h1>
          <p>Researched, personal outreach email: every fact in a draft comes with the source it came from.</p>
        </div>
      </header>
      <nav className="tabs scribe-tabs" aria-label="Scribe">
        <NavLink end to="/scribe">Write</NavLink>
        <NavLink to="/scribe/queue">
          Queue <ActiveCount items={queue.items} />
        </NavLink>
        <NavLink to="/scribe/emails">Emails</NavLink>
        <NavLink to="/scribe/templates">Templates</NavLink>
        <NavLink to="/scribe/mail">Mail</NavLink>
      </nav>
      <Routes>
        <Route index element={<ComposeView profile={profile} onProfile={setProfile} />} />
        <Route path="queue" element={<QueueView queue={queue} />} />
        <Route path="emails" element={<HistoryView />} />
        <Route path="emails/:id" element={<EmailView />} />
        <Route path="templates" element={<TemplatesView />} />
        <Route path="mail" element={<MailView />} />
      </Routes>
    </div>
  );
}

export default function ScribeApp() {
  return (
    <RequireAuth what="Scribe">
      <Scribe />
    </RequireAuth>
  );
}
