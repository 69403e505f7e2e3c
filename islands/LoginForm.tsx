/**
 * The login form: posts to the auth API (which sets the session cookies) and
 * shows the API's answer inline — wrong credentials (AUTH_001), rate limiting
 * (API_003) or per-field validation issues.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, ApiError, readCookie } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";

/** Props of {@link LoginForm}. */
export interface LoginFormProps {
  /** Where to go after signing in (a local path). */
  next: string;
}

/** Explains an API error in words a user can act on. */
export function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong; please try again";
  if (error.code === "AUTH_001") return "Username or password is incorrect";
  if (error.code === "API_003") return "Too many attempts; wait a few minutes and try again";
  return error.message;
}

/** Login island. */
export default function LoginForm({ next }: LoginFormProps): JSX.Element {
  const hydrated = useHydrated();
  const username = useSignal("");
  const password = useSignal("");
  const error = useSignal<string | null>(null);
  const fieldErrors = useSignal<Record<string, string>>({});
  const busy = useSignal(false);

  const target = next.startsWith("/") && !next.startsWith("//") ? next : "/";

  useEffect(() => {
    // The access cookie lives 15 minutes, the refresh cookie days: when a
    // session still exists (its CSRF cookie is there), renew it silently.
    if (!readCookie("aura_csrf")) return;
    api("POST", "/api/v1/auth/refresh").then(() => location.assign(target), () => {});
  }, []);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    busy.value = true;
    error.value = null;
    fieldErrors.value = {};
    try {
      await api("POST", "/api/v1/auth/login", {
        username: username.value.trim(),
        password: password.value,
      });
      location.assign(target);
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) {
        fieldErrors.value = Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
      }
      error.value = loginErrorMessage(e);
      busy.value = false;
    }
  };

  return (
    <form method="post" class="card form auth-form" onSubmit={onSubmit} noValidate>
      <h1>Sign in</h1>
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      <div class="field">
        <label for="login-username">Username or email</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          required
          value={username.value}
          onInput={(e) => username.value = (e.target as HTMLInputElement).value}
          aria-invalid={fieldErrors.value.username ? "true" : undefined}
          aria-describedby={fieldErrors.value.username ? "login-username-error" : undefined}
        />
        {fieldErrors.value.username && (
          <p class="field-error" id="login-username-error">{fieldErrors.value.username}</p>
        )}
      </div>
      <div class="field">
        <label for="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password.value}
          onInput={(e) => password.value = (e.target as HTMLInputElement).value}
          aria-invalid={fieldErrors.value.password ? "true" : undefined}
        />
        {fieldErrors.value.password && <p class="field-error">{fieldErrors.value.password}</p>}
      </div>
      <button class="btn btn-primary" type="submit" disabled={busy.value || !hydrated}>
        {busy.value ? "Signing in…" : "Sign in"}
      </button>
      <p class="muted">
        New to AURA? <a href="/register">Create an account</a>
      </p>
    </form>
  );
}
