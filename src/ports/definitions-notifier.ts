/**
 * Tells every API process that a project's definitions or cohort states changed (they reload
 * their snapshot); processes also poll, so a lost notice only delays the reload.
 */
export interface DefinitionsNotifier {
  /** announces a change; callers ignore failures */
  notify(projectId: number): Promise<void>;
  /** subscribes to announcements; resolves to an unsubscribe function */
  subscribe(onProject: (projectId: number) => void): Promise<() => Promise<void>>;
}
