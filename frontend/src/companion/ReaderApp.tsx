/** Placeholder until the Companion reader lands: the Companion helper owns this folder and replaces this file. */

export default function ReaderApp() {
  return (
    <div className="container">
      <header className="page-header">
        <h1>Reader</h1>
        <p>A spoiler-safe reading companion.</p>
      </header>
    </div>
  );
}
