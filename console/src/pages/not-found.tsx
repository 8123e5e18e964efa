import { Link } from '../lib/router.js';

export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no console page at this address. <Link href="/">Go to the projects</Link>.
      </p>
    </section>
  );
}
