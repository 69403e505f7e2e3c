/**
 * Log-out button: a POST with the CSRF header (a plain link could be forged
 * by another site), then back to the login page.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { api } from "../ui/api.ts";

/** The top bar's log-out button. */
export default function LogoutButton(): JSX.Element {
  const busy = useSignal(false);
  const onClick = async () => {
    busy.value = true;
    try {
      await api("POST", "/api/v1/auth/logout");
    } catch {
      // Logging out of an expired session still ends on the login page.
    }
    location.assign("/login");
  };
  return (
    <button type="button" class="btn btn-ghost btn-sm" onClick={onClick} disabled={busy.value}>
      Log out
    </button>
  );
}
