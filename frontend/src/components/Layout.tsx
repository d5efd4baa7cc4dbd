/** The shell around every page: skip link, top navigation with both apps (and Admin for admins), the account corner, footer. */

import { Link, NavLink, Outlet } from "react-router-dom";
import { isAdmin } from "../admin/access";
import { AccountMenu } from "../auth/AccountMenu";
import { useAuth } from "../auth/context";

export function Logo() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="var(--accent)" />
      <path d="M10 22c4-1 6-4 7-9l4-4 2 2-4 4c-1 5-4 8-9 9z" fill="var(--accent-contrast)" />
    </svg>
  );
}

export function Layout() {
  const auth = useAuth();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topnav">
        <nav className="container topnav-inner" aria-label="Main">
          <Link className="brand" to="/" aria-label="Scriptorium, home">
            <Logo />
            <span className="brand-name">Scriptorium</span>
          </Link>
          <ul className="topnav-links">
            <li>
              <NavLink to="/scribe">Scribe</NavLink>
            </li>
            <li>
              <NavLink to="/read">Companion</NavLink>
            </li>
            {isAdmin(auth) && (
              <li>
                <NavLink to="/admin">Admin</NavLink>
              </li>
            )}
          </ul>
          <div className="topnav-account">
            <AccountMenu />
          </div>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container spread">
          <span>Scriptorium: self-hosted, runs offline, scales out.</span>
          <span className="cluster">
            <Link to="/status">Server status</Link>
            <a href="/docs">API docs</a>
          </span>
        </div>
      </footer>
    </>
  );
}
