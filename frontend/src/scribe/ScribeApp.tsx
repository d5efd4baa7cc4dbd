/** Placeholder until the Scribe app lands: the Scribe helper owns this folder and replaces this file. */

export default function ScribeApp() {
  return (
    <div className="container">
      <header className="page-header">
        <h1>Scribe</h1>
        <p>Researched, personal outreach email.</p>
      </header>
    </div>
  );
}
