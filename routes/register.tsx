/**
 * GET /register: the account creation page (public).
 *
 * @module
 */
import RegisterForm from "../islands/RegisterForm.tsx";
import { Island } from "../ui/island.tsx";
import type { PageResult } from "../ui/page.ts";

/** Renders the registration page. */
export function handler(_url: URL): PageResult {
  return {
    title: "Create account",
    body: (
      <div class="auth">
        <p class="auth-tagline">
          Start in paper mode: strategies trade simulated funds until you add keys and switch to
          live.
        </p>
        <Island name="RegisterForm" component={RegisterForm} props={{}} />
      </div>
    ),
  };
}
