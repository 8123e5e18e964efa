/** A cohort state or definition status as a coloured label (text, not colour alone). */
export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}
