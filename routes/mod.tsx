/**
 * The web pages: server-rendered Preact (first paint with real data) plus
 * hydrated islands, and the static assets they need. app.ts mounts it at "/"
 * with its own dependencies: `app.route("/", createPages(deps))`, so pages
 * read through the same service instances the API uses.
 *
 * Pages need the cookie session; without one they redirect to /login. The
 * client bundle is built on the first page request (cached in memory) and
 * served content-hashed with a one-year cache.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { renderToString } from "preact-render-to-string";
import type { JSX } from "preact";
import { findUserById, type UserRecord } from "../db/users.ts";
import { authenticateRequest } from "./api/_middleware.ts";
import { App } from "./_app.tsx";
import { clientBundle, stylesheet } from "../ui/assets.ts";
import type { PageContext, PageResult, PagesDeps } from "../ui/page.ts";
import { BUILD_PREFIX } from "../ui/bundler.ts";
import { handler as dashboard } from "./index.tsx";
import { handler as login } from "./login.tsx";
import { handler as register } from "./register.tsx";
import { handler as strategies } from "./strategies.tsx";
import { handler as strategyEdit } from "./strategy.tsx";
import { handler as backtest } from "./backtest.tsx";
import { handler as history } from "./history.tsx";
import { handler as trade } from "./trade.tsx";
import { handler as settings } from "./settings.tsx";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { createLogger } from "../logger.ts";

const log = createLogger("pages");

export type { PageContext, PageResult, PagesDeps, PipelineHealth } from "../ui/page.ts";

type Handler = (ctx: PageContext) => Promise<PageResult>;
type PublicHandler = (url: URL) => PageResult;

const IMMUTABLE = "public, max-age=31536000, immutable";

/** Builds the pages app. */
export function createPages(deps: PagesDeps): Hono {
  const app = new Hono();
  let favicon: Uint8Array | null = null;

  const document = async (
    c: Context,
    title: string,
    body: JSX.Element,
    user: UserRecord | null,
    status = 200,
  ) => {
    const css = await stylesheet();
    let scriptUrl: string | null = null;
    try {
      scriptUrl = (await clientBundle()).entry;
    } catch (error) {
      // Pages stay readable without JS; the failure is logged, not hidden.
      log.error("Cannot build the client bundle", { error: String(error) });
    }
    const html = "<!DOCTYPE html>" + renderToString(
      <App
        title={title}
        path={new URL(c.req.url).pathname}
        user={user && { username: user.username, tradingMode: user.tradingMode }}
        cssUrl={css.url}
        scriptUrl={scriptUrl}
      >
        {body}
      </App>,
    );
    c.header("Cache-Control", "no-store");
    return c.html(html, status as 200);
  };

  const respond = async (c: Context, result: PageResult, user: UserRecord | null) => {
    if ("redirect" in result) return c.redirect(result.redirect, 303);
    if ("notFound" in result) {
      return await document(
        c,
        "Not found",
        <ErrorPage title="Not found" message="This page does not exist or is not yours." />,
        user,
        404,
      );
    }
    return await document(c, result.title, result.body, user, result.status ?? 200);
  };

  const sessionUser = async (c: Context): Promise<UserRecord | null> => {
    const auth = await (deps.authenticate ?? authenticateRequest)(c);
    return auth ? await findUserById(deps.db, auth.userId) : null;
  };

  const page = (path: string, handler: Handler) => {
    app.get(path, async (c) => {
      const url = new URL(c.req.url);
      let user: UserRecord | null;
      try {
        user = await sessionUser(c);
      } catch (error) {
        log.error("Cannot read the session user", { path: url.pathname, error: String(error) });
        return await document(c, "Unavailable", <Unavailable />, null, 503);
      }
      if (!user) {
        const next = url.pathname + url.search;
        return c.redirect(`/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`, 303);
      }
      try {
        return await respond(c, await handler({ deps, user, url, params: c.req.param() }), user);
      } catch (error) {
        log.error("Cannot render a page", { path: url.pathname, error: String(error) });
        return await document(c, "Unavailable", <Unavailable />, user, 503);
      }
    });
  };

  const publicPage = (path: string, handler: PublicHandler) => {
    app.get(path, async (c) => {
      const user = await sessionUser(c).catch(() => null);
      if (user) return c.redirect("/", 303);
      return await respond(c, handler(new URL(c.req.url)), null);
    });
  };

  publicPage("/login", login);
  publicPage("/register", register);
  page("/", dashboard);
  page("/strategies", strategies);
  page("/strategies/new", strategyEdit);
  page("/strategies/:id", strategyEdit);
  page("/backtests/:id", backtest);
  page("/history", history);
  page("/history/:id", trade);
  page("/settings", settings);

  app.get(`${BUILD_PREFIX}:file`, async (c) => {
    const file = (await clientBundle()).files.get(`${BUILD_PREFIX}${c.req.param("file")}`);
    if (!file) return c.text("Not found", 404);
    return c.body(file.contents as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": IMMUTABLE,
    });
  });
  app.get("/favicon.ico", (c) => c.redirect("/static/favicon.svg", 301));
  app.get("/static/favicon.svg", async (c) => {
    favicon ??= await Deno.readFile(new URL("../static/favicon.svg", import.meta.url));
    return c.body(favicon as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "public, max-age=86400",
    });
  });
  app.get("/static/:file{app(-[0-9a-f]+)?\\.css}", async (c) => {
    const css = await stylesheet();
    const hashed = c.req.path === css.url;
    if (!hashed && c.req.path !== "/static/app.css") return c.text("Not found", 404);
    return c.body(css.contents as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "text/css; charset=utf-8",
      "Cache-Control": hashed ? IMMUTABLE : "no-cache",
    });
  });
  return app;
}

function Unavailable(): JSX.Element {
  return (
    <ErrorPage
      title="AURA is unavailable"
      message="The server cannot reach its database right now. Your strategies and orders are unaffected; try again in a moment."
    />
  );
}
