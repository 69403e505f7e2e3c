/**
 * GET /login: the sign-in page (public).
 *
 * @module
 */
import LoginForm from "../islands/LoginForm.tsx";
import { Island } from "../ui/island.tsx";
import type { PageResult } from "../ui/page.ts";

/** Renders the login page; `?next=` says where to go afterwards (local paths only). */
export function handler(url: URL): PageResult {
  const raw = url.searchParams.get("next") ?? "/";
  const next = raw.startsWith("/") && !raw.startsWith("//") ? raw : "/";
  return {
    title: "Sign in",
    body: (
      <div class="auth">
        <p class="auth-tagline">Rule-based trading for Binance spot, on your own machine.</p>
        <Island name="LoginForm" component={LoginForm} props={{ next }} />
      </div>
    ),
  };
}
