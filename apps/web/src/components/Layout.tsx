import { type ReactNode, useEffect, useState } from 'react';
import { NavLink, useLocation, useNavigate } from 'react-router';
import { AREAS, ROLE_LABELS, type AreaName } from '../lib/areas';
import { useAuth } from '../lib/auth';

const NAV_ORDER: AreaName[] = ['worklist', 'newHarvest', 'releaseQueue', 'investigations', 'reagents', 'storage', 'specifications', 'recalls', 'audit', 'users', 'shipments'];

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.pathname]);
  const items = user ? NAV_ORDER.filter((name) => AREAS[name].nav && (AREAS[name].roles as readonly string[]).includes(user.role)) : [];
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Exolot home">
          <img src="/favicon.svg" alt="" width="28" height="28" /> Exolot
        </NavLink>
        {user ? (
          <button type="button" className="btn menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
            Menu
          </button>
        ) : null}
        <nav id="main-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
          <ul>
            {items.map((name) => (
              <li key={name}><NavLink to={AREAS[name].path} end={name === 'releaseQueue'}>{AREAS[name].label}</NavLink></li>
            ))}
            {/* The public verify page is served by the API itself (no sign-in, no bundle). */}
            <li><a href="/verify">Verify a vial</a></li>
          </ul>
        </nav>
        <div className="userbox">
          {user ? (
            <>
              <span className="who" data-testid="signed-in-as">
                {user.displayName} <span className="role">{ROLE_LABELS[user.role]}</span>
              </span>
              <button type="button" className="btn btn-small" onClick={async () => { await signOut(); navigate('/login'); }}>Sign out</button>
            </>
          ) : (
            <NavLink to="/login" className="btn btn-small">Sign in</NavLink>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
