/**
 * The registration form: checks the password policy as the user types (the
 * same rules the API enforces), then posts to the auth API and maps its
 * answer onto the fields — a taken username or email (API_006) or per-field
 * validation issues.
 *
 * @module
 */
import type { InputHTMLAttributes, JSX } from "preact";
import { useSignal } from "@preact/signals";
import { api, ApiError } from "../ui/api.ts";
import { useHydrated } from "../ui/hooks.ts";

/** Client-side check of the password policy; null when it passes. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 10) return "Use at least 10 characters";
  if (password.length > 128) return "Use at most 128 characters";
  if (!/[A-Za-z]/.test(password) || !/\d/.test(password)) {
    return "Use both letters and digits";
  }
  if (password.toLowerCase() === username.toLowerCase()) return "Must differ from the username";
  return null;
}

/** Registration island. */
export default function RegisterForm(): JSX.Element {
  const hydrated = useHydrated();
  const username = useSignal("");
  const email = useSignal("");
  const password = useSignal("");
  const confirm = useSignal("");
  const touched = useSignal(false);
  const error = useSignal<string | null>(null);
  const fields = useSignal<Record<string, string>>({});
  const busy = useSignal(false);

  const local = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (!/^[a-zA-Z0-9_.-]{3,50}$/.test(username.value)) {
      out.username = "3–50 letters, digits, dot, dash or underscore";
    }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value)) out.email = "Enter a valid email";
    const pw = passwordProblem(password.value, username.value);
    if (pw) out.password = pw;
    if (confirm.value !== password.value) out.confirm = "Passwords do not match";
    return out;
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    touched.value = true;
    error.value = null;
    const problems = local();
    fields.value = problems;
    if (Object.keys(problems).length) return;
    busy.value = true;
    try {
      await api("POST", "/api/v1/auth/register", {
        username: username.value.trim(),
        email: email.value.trim(),
        password: password.value,
      });
      location.assign("/");
    } catch (e) {
      busy.value = false;
      if (!(e instanceof ApiError)) {
        error.value = "Something went wrong; please try again";
        return;
      }
      if (e.code === "API_006") {
        const which = /email/i.test(e.message) ? "email" : "username";
        fields.value = { [which]: `This ${which} is already taken` };
        error.value = e.message;
      } else if (e.issues.length) {
        fields.value = Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
        error.value = "Please correct the highlighted fields";
      } else {
        error.value = e.code === "API_003"
          ? "Too many attempts; wait a few minutes and try again"
          : e.message;
      }
    }
  };

  const field = (
    id: string,
    label: string,
    value: { value: string },
    attrs: InputHTMLAttributes<HTMLInputElement>,
    hint?: string,
  ) => {
    const problem = fields.value[id] ?? (touched.value ? local()[id] : undefined);
    return (
      <div class="field">
        <label for={`register-${id}`}>{label}</label>
        <input
          id={`register-${id}`}
          name={id}
          value={value.value}
          onInput={(e) => value.value = (e.target as HTMLInputElement).value}
          aria-invalid={problem ? "true" : undefined}
          aria-describedby={`register-${id}-help`}
          {...attrs}
        />
        <p class={problem ? "field-error" : "hint"} id={`register-${id}-help`}>
          {problem ?? hint ?? ""}
        </p>
      </div>
    );
  };

  return (
    <form method="post" class="card form auth-form" onSubmit={onSubmit} noValidate>
      <h1>Create your account</h1>
      {error.value && <p class="alert alert-error" role="alert">{error.value}</p>}
      {field("username", "Username", username, { autocomplete: "username", required: true })}
      {field("email", "Email", email, { type: "email", autocomplete: "email", required: true })}
      {field(
        "password",
        "Password",
        password,
        { type: "password", autocomplete: "new-password", required: true },
        "At least 10 characters, with letters and digits",
      )}
      {field("confirm", "Confirm password", confirm, {
        type: "password",
        autocomplete: "new-password",
        required: true,
      })}
      <button class="btn btn-primary" type="submit" disabled={busy.value || !hydrated}>
        {busy.value ? "Creating account…" : "Create account"}
      </button>
      <p class="muted">
        Already registered? <a href="/login">Sign in</a>
      </p>
    </form>
  );
}
