/**
 * The Mail tab (`/scribe/mail`): the mailboxes Scribe may put drafts in and send from. With none yet, the form
 * to connect one is open; otherwise it opens on request. Emails are put in Drafts or sent from an email's page
 * (or for its whole batch), where the same accounts are offered.
 */

import { useState } from "react";
import { Link } from "react-router-dom";
import { useDocumentTitle } from "../../components/useDocumentTitle";
import { AccountCard } from "./AccountCard";
import { AccountForm } from "./AccountForm";
import { useAccounts } from "./hooks";
import "./mail.css";

export function MailView() {
  useDocumentTitle("Mail · Scribe");
  const { accounts, error, replace, remove, add } = useAccounts();
  const [adding, setAdding] = useState(false);

  if (accounts === null) {
    return error ? (
      <p className="alert alert-error">{error}</p>
    ) : (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  }
  const showForm = adding || accounts.length === 0;
  return (
    <div className="stack-lg mail-view">
      <div className="spread">
        <div>
          <h2 className="h-section">Mail</h2>
          <p className="small muted">
            Put reviewed emails in your own mailbox&apos;s Drafts, or send them with care: always a dry run first,
            one email on the first send, and a rate you choose. Open an <Link to="/scribe/emails">email</Link> to
            use them.
          </p>
        </div>
        {!showForm && (
          <button type="button" className="btn" onClick={() => setAdding(true)}>
            Connect another mailbox
          </button>
        )}
      </div>
      {showForm && (
        <AccountForm
          onCreated={(account) => (add(account), setAdding(false))}
          onCancel={accounts.length > 0 ? () => setAdding(false) : undefined}
        />
      )}
      {accounts.map((account) => (
        <AccountCard key={account.id} account={account} onChanged={replace} onRemoved={remove} />
      ))}
    </div>
  );
}
