/**
 * The document shell every page renders into (Fresh's `_app`): head, the
 * hashed stylesheet and client entry, the skip link, the top bar with
 * navigation, the trading-mode badge and log-out.
 *
 * @module
 */
import type { ComponentChildren, JSX } from "preact";
import { Island } from "../ui/island.tsx";
import LogoutButton from "../islands/LogoutButton.tsx";

/** Who is signed in, as the shell shows it. */
export interface ShellUser {
  /** Username. */
  username: string;
  /** Paper or live trading. */
  tradingMode: "paper" | "live";
}

/** Props of {@link App}. */
export interface AppProps {
  /** Page title (before " · AURA"). */
  title: string;
  /** The signed-in user; null on the public pages (login, register). */
  user: ShellUser | null;
  /** Current path, to mark the active navigation link. */
  path: string;
  /** URL of the stylesheet (content-hashed). */
  cssUrl: string;
  /** URL of the client entry (content-hashed); null when the bundle is unavailable. */
  scriptUrl: string | null;
  /** Page content. */
  children: ComponentChildren;
}

const NAV = [
  { href: "/", label: "Dashboard" },
  { href: "/strategies", label: "Strategies" },
  { href: "/history", label: "History" },
  { href: "/settings", label: "Settings" },
];

function isCurrent(path: string, href: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

/** The page shell. */
export function App(props: AppProps): JSX.Element {
  const { user } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        <title>{`${props.title} · AURA`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={props.cssUrl} />
        {props.scriptUrl && <link rel="modulepreload" href={props.scriptUrl} />}
      </head>
      <body class={user ? "app" : "app public"}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="topbar">
          <a class="brand" href="/" aria-label="AURA home">
            <span class="brand-mark" aria-hidden="true">◆</span> AURA
          </a>
          {user && (
            <nav aria-label="Main" class="nav">
              {NAV.map((n) => (
                <a
                  href={n.href}
                  aria-current={isCurrent(props.path, n.href) ? "page" : undefined}
                >
                  {n.label}
                </a>
              ))}
            </nav>
          )}
          {user && (
            <div class="session">
              <span
                class={`mode mode-${user.tradingMode}`}
                title={user.tradingMode === "live"
                  ? "Orders go to Binance with real funds"
                  : "Orders are simulated"}
              >
                {user.tradingMode === "live" ? "LIVE" : "PAPER"}
              </span>
              <span class="user" aria-label="Signed in as">{user.username}</span>
              <Island name="LogoutButton" component={LogoutButton} props={{}} />
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>{props.children}</main>
        {props.scriptUrl && <script type="module" src={props.scriptUrl}></script>}
      </body>
    </html>
  );
}
