/**
 * AURA's configuration: every environment variable, validated with zod at
 * start. A wrong value stops the start with one line naming the variable and
 * what was expected (see {@link ConfigError}).
 *
 * @module
 */
import { z } from "zod";

const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;

const optionalString = z.string().min(1).optional();
const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** The schema of the environment; each key is one variable (documented in README). */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default("127.0.0.1"),
  AURA_ROLE: z.enum(["all", "web", "engine"]).default("all"),
  AURA_DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL").optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "a redis:// URL").optional(),
  LOG_LEVEL: z.enum(LEVELS).default("INFO"),
  LOG_PERSIST_LEVEL: z.enum(LEVELS).default("WARN"),
  AURA_MASTER_KEY: z.string().regex(
    /^[A-Za-z0-9+/]{43}=$/,
    "32 bytes in base64 (44 characters)",
  ).optional(),
  AURA_MASTER_KEY_ID: z.string().regex(/^[a-z0-9-]{1,16}$/, "1-16 of a-z, 0-9, -").default("k1"),
  JWT_PRIVATE_KEY_FILE: optionalString,
  JWT_PUBLIC_KEY_FILE: optionalString,
  JWT_ISSUER: z.string().min(1).default("aura"),
  JWT_AUDIENCE: z.string().min(1).default("aura-web"),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(7_776_000).default(1_209_600),
  BINANCE_REST_URL: z.url().default("https://api.binance.com"),
  BINANCE_WS_URL: z.string().regex(/^wss?:\/\//, "a ws:// or wss:// URL").default(
    "wss://stream.binance.com:9443",
  ),
  AURA_MARKET_DATA: z.enum(["binance", "none"]).default("binance"),
  AURA_PAPER_BALANCE_USDT: z.coerce.number().positive().default(10_000),
  PRICE_JUMP_THRESHOLD_PERCENT: z.coerce.number().positive().default(20),
  AURA_BUS: z.enum(["memory", "kv", "redis"]).optional(),
  AURA_BUS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, "1-64 of A-Z, a-z, 0-9, :, _, -")
    .default("aura:bus"),
  AURA_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  AURA_INTENT_JOURNAL: z.enum(["file", "db"]).default("file"),
  AURA_ENGINE_SHARD: z.string().regex(/^\d+\/[1-9]\d*$/, "index/count, e.g. 0/2").default("0/1"),
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  CORS_ORIGINS: z.string().default(""),
  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(300),
  REGISTRATIONS_PER_HOUR_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(10),
  COOKIE_SECURE: bool.default(false),
  AURA_MASTER_KEYS_OLD: z.string().regex(
    /^([a-z0-9-]{1,16}:[A-Za-z0-9+/]{43}=)(,[a-z0-9-]{1,16}:[A-Za-z0-9+/]{43}=)*$/,
    "id:base64 pairs separated by commas",
  ).optional(),
});

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;

/** A configuration problem; `message` is one line fit for a terminal. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Validates `env` (default: the process environment) into a {@link Config}.
 * Empty strings count as unset.
 *
 * @throws {ConfigError} naming the first bad variable and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (parsed.success) {
    const config = parsed.data;
    if ((config.TLS_CERT_FILE === undefined) !== (config.TLS_KEY_FILE === undefined)) {
      throw new ConfigError(
        "Invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE must be set together",
      );
    }
    if (
      (config.JWT_PRIVATE_KEY_FILE === undefined) !== (config.JWT_PUBLIC_KEY_FILE === undefined)
    ) {
      throw new ConfigError(
        "Invalid configuration: JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE must be set together",
      );
    }
    return config;
  }
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "environment");
  const got = input[name];
  const shown = got === undefined ? "" : ` (got "${name.includes("KEY") ? "***" : got}")`;
  throw new ConfigError(`Invalid configuration: ${name}: expected ${describe(issue)}${shown}`);
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `one of ${issue.values.map((v) => `"${String(v)}"`).join(", ")}`;
    case "too_small":
      return `a value >= ${String(issue.minimum)}`;
    case "too_big":
      return `a value <= ${String(issue.maximum)}`;
    case "invalid_type":
      return issue.expected === "number" ? "a number" : `a ${issue.expected}`;
    case "invalid_format":
      return issue.message.startsWith("Invalid") ? `a valid ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}
