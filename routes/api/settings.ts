/**
 * GET/PUT /api/v1/settings (trading mode, preferences) and the Binance keys:
 * POST /settings/api-keys, GET /settings/api-keys/status,
 * DELETE /settings/api-keys. The secret is write-only.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../app.ts";
import { findUserById, setPreferences, setTradingMode } from "../../db/users.ts";
import { INTERVALS } from "../../engine/candle.ts";
import { AuraError } from "../../engine/errors.ts";
import { ApiKeyService, CcxtKeyValidator } from "../../services/api_keys.ts";
import { audit } from "../../services/audit.ts";
import { publicUser } from "../../services/auth/auth_service.ts";
import { registerRoute } from "../../services/openapi.ts";
import { SecretBox } from "../../services/secrets.ts";
import type { StrategyEngineHook } from "../../services/strategies.ts";
import { createLogger } from "../../logger.ts";
import type { ApiEnv } from "./_env.ts";
import { clientIp } from "./_middleware.ts";
import { parseJsonBody } from "./_validate.ts";

const log = createLogger("settings");

/** UI preferences (every field optional; unknown fields rejected). */
export const preferencesSchema = z.object({
  theme: z.enum(["light", "dark", "system"]).optional(),
  defaultInterval: z.enum(INTERVALS as [string, ...string[]]).optional(),
  defaultSymbol: z.string().regex(/^[A-Z0-9]{5,20}$/, "a symbol such as BTCUSDT").optional(),
  timezone: z.string().regex(/^[A-Za-z_+\-/0-9]{1,50}$/, "an IANA zone such as Europe/Paris")
    .optional(),
  notifications: z.object({
    trades: z.boolean().optional(),
    errors: z.boolean().optional(),
  }).strict().optional(),
}).strict();

/** PUT /settings body: the fields to change. */
export const settingsUpdateBody = z.object({
  tradingMode: z.enum(["paper", "live"]).optional(),
  preferences: preferencesSchema.optional(),
}).strict();

/** POST /settings/api-keys body. */
export const apiKeysBody = z.object({
  apiKey: z.string().regex(/^[A-Za-z0-9]{16,128}$/, "16-128 letters and digits"),
  secretKey: z.string().regex(/^[A-Za-z0-9]{16,128}$/, "16-128 letters and digits"),
}).strict();

const keySummary = z.object({
  apiKey: z.string(),
  createdAt: z.string(),
  lastValidatedAt: z.string().nullable(),
});

/** GET/PUT /settings answer. */
export const settingsResponse = z.object({
  user: z.object({
    id: z.number(),
    username: z.string(),
    email: z.string(),
    tradingMode: z.enum(["paper", "live"]),
  }),
  tradingMode: z.enum(["paper", "live"]),
  preferences: preferencesSchema,
  apiKeys: keySummary.nullable(),
});

/** GET /settings/api-keys/status answer. */
export const keyStatusResponse = z.object({
  apiKey: z.string(),
  valid: z.boolean(),
  canTrade: z.boolean(),
  withdrawalsEnabled: z.boolean(),
  checkedAt: z.string(),
  error: z.string().optional(),
  problem: z.object({ code: z.literal("API_001"), message: z.string() }).optional(),
});

/** Builds the key service from the app's dependencies. */
export function createApiKeyService(deps: AppDeps): ApiKeyService {
  return new ApiKeyService({
    db: deps.db,
    clock: deps.clock,
    box: new SecretBox(deps.keys.master),
    validator: deps.keyValidator ?? new CcxtKeyValidator(deps.config.BINANCE_REST_URL),
  });
}

/** The /settings sub-app (behind requireAuth). */
export function settingsRoutes(deps: AppDeps & { engine?: StrategyEngineHook }): Hono<ApiEnv> {
  const keys = createApiKeyService(deps);
  // The engine trades each user on the exchange their mode and keys say: tell it.
  const accountChanged = async (userId: number) => {
    try {
      await deps.engine?.onAccountChanged?.(userId);
    } catch (error) {
      log.warn("Engine did not take an account change", { userId, error: String(error) });
    }
  };
  const app = new Hono<ApiEnv>();

  const current = async (userId: number) => {
    const [user, apiKeys] = await Promise.all([findUserById(deps.db, userId), keys.get(userId)]);
    if (!user) throw new AuraError("AUTH_002", "Token is invalid or expired");
    return {
      user: publicUser(user),
      tradingMode: user.tradingMode,
      preferences: user.preferences,
      apiKeys,
    };
  };

  app.get("/", async (c) => c.json(await current(c.get("auth").userId)));

  app.put("/", async (c) => {
    const { userId } = c.get("auth");
    const body = await parseJsonBody(c, settingsUpdateBody);
    const before = await current(userId);
    if (body.tradingMode && body.tradingMode !== before.tradingMode) {
      if (body.tradingMode === "live") await keys.ensureLiveReady(userId);
      await setTradingMode(deps.db, userId, body.tradingMode);
      await audit(deps, userId, "settings.trading_mode", {
        from: before.tradingMode,
        to: body.tradingMode,
        ip: clientIp(c),
      });
      await accountChanged(userId);
    }
    if (body.preferences) {
      await setPreferences(deps.db, userId, { ...before.preferences, ...body.preferences });
    }
    return c.json(await current(userId));
  });

  app.post("/api-keys", async (c) => {
    const { userId } = c.get("auth");
    const body = await parseJsonBody(c, apiKeysBody);
    const saved = await keys.save(userId, body.apiKey, body.secretKey, clientIp(c));
    await accountChanged(userId);
    return c.json(saved, 201);
  });

  app.get("/api-keys/status", async (c) => c.json(await keys.status(c.get("auth").userId)));

  app.delete("/api-keys", async (c) => {
    const { userId } = c.get("auth");
    await keys.remove(userId, clientIp(c));
    await accountChanged(userId);
    return c.body(null, 204);
  });

  const base = "/api/v1/settings";
  registerRoute({
    method: "get",
    path: base,
    summary: "The user's settings",
    response: settingsResponse,
    auth: true,
  });
  registerRoute({
    method: "put",
    path: base,
    summary: "Change trading mode (live needs valid keys with trading) and preferences",
    body: settingsUpdateBody,
    response: settingsResponse,
    auth: true,
  });
  registerRoute({
    method: "post",
    path: `${base}/api-keys`,
    summary: "Store Binance API keys (the secret is encrypted and never returned)",
    body: apiKeysBody,
    response: keySummary,
    status: 201,
    auth: true,
  });
  registerRoute({
    method: "get",
    path: `${base}/api-keys/status`,
    summary: "Validate the stored keys against the exchange",
    response: keyStatusResponse,
    auth: true,
  });
  registerRoute({
    method: "delete",
    path: `${base}/api-keys`,
    summary: "Delete the stored keys",
    status: 204,
    auth: true,
  });
  return app;
}
