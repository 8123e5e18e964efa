/** Header, project navigation and the main region; the nav folds into a bar on narrow screens. */
import type { ComponentChildren } from 'preact';
import { clearKey } from '../lib/key-storage.js';
import { Link, seg } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const SECTIONS = [
  ['', 'Overview'],
  ['/flags', 'Flags'],
  ['/configs', 'Configs'],
  ['/surveys', 'Surveys'],
  ['/cohorts', 'Cohorts'],
  ['/persons', 'Persons'],
  ['/audit', 'Audit log'],
] as const;

export function Layout({ project, path, children }: { project: string | null; path: string; children: ComponentChildren }) {
  const me = useSession();
  const base = project ? `/projects/${seg(project)}` : '';
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/" class="brand">Switchboard</Link>
        <span class="who" title="signed in with this admin key">
          {me.key.name ?? 'admin key'} <code>{me.key.prefix ?? ''}</code>
          {!me.can.write && <span class="badge">read only</span>}
        </span>
        <button type="button" class="link" onClick={() => clearKey()}>Sign out</button>
      </header>
      {project && (
        <nav class="side" aria-label="Project">
          <p class="side-title">Project {project}</p>
          <ul>
            {SECTIONS.map(([href, label]) => {
              const target = `${base}${href}`;
              const current = href === '' ? path === target : path === target || path.startsWith(`${target}/`);
              return (
                <li key={href}>
                  <Link href={target} aria-current={current ? 'page' : undefined}>{label}</Link>
                </li>
              );
            })}
            <li><Link href="/">All projects</Link></li>
          </ul>
        </nav>
      )}
      <main id="main" tabIndex={-1} class={project ? 'with-side' : ''}>
        {children}
      </main>
    </div>
  );
}
