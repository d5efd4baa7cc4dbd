/** Any path no route claims: say so, show the path, offer a way back. */

import { Link, useLocation } from "react-router-dom";
import { useDocumentTitle } from "../components/useDocumentTitle";

export default function NotFound() {
  useDocumentTitle("Page not found");
  const { pathname } = useLocation();
  return (
    <div className="container">
      <section className="page-header stack-sm">
        <h1>Page not found</h1>
        <p>
          There is nothing at <code>{pathname}</code>. The link may be old, or the address mistyped.
        </p>
        <div className="cluster">
          <Link className="btn btn-primary" to="/">
            Go to the start page
          </Link>
          <Link className="btn" to="/scribe">
            Scribe
          </Link>
          <Link className="btn" to="/read">
            Companion
          </Link>
        </div>
      </section>
    </div>
  );
}
