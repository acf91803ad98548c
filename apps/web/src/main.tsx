import { type ComponentType, lazy, type ReactNode, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { AREAS, type AreaName, HOME, mayOpen, ROLE_LABELS } from './lib/areas';
import { AuthProvider, useAuth } from './lib/auth';
import type { Role } from './lib/api';
import { Login } from './pages/Login';
import './styles.css';

/** Each area is its own chunk: a clinic's phone never downloads the lab's forms or the charts. */
function page<M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string) {
  return lazy(async () => ({ default: (await load())[name] as ComponentType }));
}
const lab = () => import('./pages/lab/index');
const qa = () => import('./pages/qa/index');
const storage = () => import('./pages/storage/index');
const admin = () => import('./pages/admin/index');
const clinic = () => import('./pages/clinic/index');

const Worklist = page(lab, 'Worklist');
const NewHarvest = page(lab, 'NewHarvest');
const BatchPage = page(lab, 'BatchPage');
const ReagentLots = page(lab, 'ReagentLots');
const Investigations = page(lab, 'Investigations');
const Specifications = page(lab, 'Specifications');
const ReleaseQueue = page(qa, 'ReleaseQueue');
const Review = page(qa, 'Review');
const AuditTrail = page(qa, 'AuditTrail');
const Recalls = page(qa, 'Recalls');
const Storage = page(storage, 'Storage');
const Users = page(admin, 'Users');
const ClinicHome = page(clinic, 'ClinicHome');

function Guard({ area, children }: { area: AreaName; children: ReactNode }) {
  const { user, checking } = useAuth();
  const location = useLocation();
  if (checking) return <Loading what="your session" />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!mayOpen(area, user.role)) return <Forbidden area={area} role={user.role} />;
  return <>{children}</>;
}

function Forbidden({ area, role }: { area: AreaName; role: Role }) {
  const who = (AREAS[area].roles as readonly Role[]).map((r) => ROLE_LABELS[r]).join(' or ');
  return (
    <section className="forbidden" data-testid="forbidden">
      <h1>Not available for your role</h1>
      <p>
        <strong>{AREAS[area].label}</strong> is for the {who} role. You are signed in as {ROLE_LABELS[role]}, so this page is not shown to you.
      </p>
      <p><Link to={HOME[role]}>Go to your start page</Link></p>
    </section>
  );
}

function Home() {
  const { user, checking } = useAuth();
  if (checking) return <Loading what="your session" />;
  return <Navigate to={user ? HOME[user.role] : '/login'} replace />;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no page at this address. <Link to="/">Go to the start page</Link>.</p>
    </section>
  );
}

const guarded = (area: AreaName, element: ReactNode) => <Guard area={area}>{element}</Guard>;

function App() {
  return (
    <Layout>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/login" element={<Login />} />
          <Route path={AREAS.worklist.path} element={guarded('worklist', <Worklist />)} />
          <Route path={AREAS.newHarvest.path} element={guarded('newHarvest', <NewHarvest />)} />
          <Route path={AREAS.batch.path} element={guarded('batch', <BatchPage />)} />
          <Route path={AREAS.reagents.path} element={guarded('reagents', <ReagentLots />)} />
          <Route path={`${AREAS.storage.path}/*`} element={guarded('storage', <Storage />)} />
          <Route path={AREAS.releaseQueue.path} element={guarded('releaseQueue', <ReleaseQueue />)} />
          <Route path={AREAS.review.path} element={guarded('review', <Review />)} />
          <Route path={AREAS.investigations.path} element={guarded('investigations', <Investigations />)} />
          <Route path={AREAS.specifications.path} element={guarded('specifications', <Specifications />)} />
          <Route path={AREAS.audit.path} element={guarded('audit', <AuditTrail />)} />
          <Route path={AREAS.recalls.path} element={guarded('recalls', <Recalls />)} />
          <Route path={AREAS.users.path} element={guarded('users', <Users />)} />
          <Route path={`${AREAS.shipments.path}/*`} element={guarded('shipments', <ClinicHome />)} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
