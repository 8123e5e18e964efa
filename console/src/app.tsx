/** The console: sign-in gate, layout and the page for the current URL. */
import { useEffect, useState } from 'preact/hooks';
import { api } from './lib/api.js';
import { getKey, onKeyChange } from './lib/key-storage.js';
import { match, useLocation } from './lib/router.js';
import { SessionContext, type Me } from './lib/session.js';
import { Layout } from './components/layout.js';
import { SignIn } from './pages/sign-in.js';
import { ProjectsPage } from './pages/projects.js';
import { ProjectPage } from './pages/project.js';
import { DefinitionsPage } from './pages/definitions.js';
import { DefinitionPage } from './pages/definition.js';
import { CohortsPage } from './pages/cohorts.js';
import { CohortNewPage } from './pages/cohort-new.js';
import { CohortPage } from './pages/cohort.js';
import { PersonPage } from './pages/person.js';
import { AuditPage } from './pages/audit.js';
import { NotFound } from './pages/not-found.js';

const KINDS: Record<string, 'flag' | 'config' | 'survey'> = { flags: 'flag', configs: 'config', surveys: 'survey' };

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '/projects') return <ProjectsPage />;
  if ((m = match('/projects/:project', path))) return <ProjectPage project={m.project} />;
  if ((m = match('/projects/:project/:kinds', path)) && KINDS[m.kinds]) return <DefinitionsPage project={m.project} kind={KINDS[m.kinds]} />;
  if ((m = match('/projects/:project/:kinds/:key', path)) && KINDS[m.kinds]) return <DefinitionPage project={m.project} kind={KINDS[m.kinds]} defKey={m.key} />;
  if ((m = match('/projects/:project/cohorts', path))) return <CohortsPage project={m.project} />;
  if ((m = match('/projects/:project/cohorts/new', path))) return <CohortNewPage project={m.project} />;
  if ((m = match('/projects/:project/cohorts/:key', path))) return <CohortPage project={m.project} cohortKey={m.key} />;
  if ((m = match('/projects/:project/persons', path))) return <PersonPage project={m.project} />;
  if ((m = match('/projects/:project/persons/:distinctId', path))) return <PersonPage project={m.project} distinctId={m.distinctId} />;
  if ((m = match('/projects/:project/audit', path))) return <AuditPage project={m.project} />;
  return <NotFound />;
}

export function App() {
  const { path } = useLocation();
  const [key, setKeyState] = useState(getKey());
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(key !== null);

  useEffect(() => onKeyChange(() => setKeyState(getKey())), []);
  useEffect(() => {
    if (!key) {
      setMe(null);
      setChecking(false);
      return;
    }
    setChecking(true);
    api.get<Me>('/v1/me').then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      () => setChecking(false),
    );
  }, [key]);

  if (checking) return <p class="loading" role="status">Checking your key…</p>;
  if (!key || !me) return <SignIn />;
  const project = /^\/projects\/([^/]+)/.exec(path)?.[1];
  return (
    <SessionContext.Provider value={me}>
      <Layout project={project ? decodeURIComponent(project) : null} path={path}>
        <Page path={path} />
      </Layout>
    </SessionContext.Provider>
  );
}
