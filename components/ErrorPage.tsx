/**
 * A full-page error or empty state with a way back.
 *
 * @module
 */
import type { JSX } from "preact";

/** Props of {@link ErrorPage}. */
export interface ErrorPageProps {
  /** Heading. */
  title: string;
  /** What happened and what to do. */
  message: string;
}

/** Error page body. */
export function ErrorPage({ title, message }: ErrorPageProps): JSX.Element {
  return (
    <section class="card error-page" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      <p>{message}</p>
      <p>
        <a class="btn" href="/">Back to the dashboard</a>
      </p>
    </section>
  );
}
