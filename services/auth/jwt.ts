/**
 * Access tokens: RS256 JWTs signed with AURA's key pair (jose). Keys come from
 * JWT_PRIVATE_KEY_FILE/JWT_PUBLIC_KEY_FILE or are generated on first start
 * into the data directory (mode 0600). Verification pins the algorithm, the
 * issuer and the audience, so `alg: none` and HS256 tokens keyed with the
 * public key are rejected.
 *
 * @module
 */
import {
  type CryptoKey as JoseKey,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  SignJWT,
} from "jose";
import { AuraError } from "../../engine/errors.ts";
import type { Clock } from "../../engine/clock.ts";

/** The RS256 key pair. */
export interface JwtKeys {
  /** Signs tokens. */
  privateKey: JoseKey;
  /** Verifies tokens. */
  publicKey: JoseKey;
  /** The public key as PEM (SPKI), e.g. for other verifiers. */
  publicPem: string;
}

/** What an access token says about its bearer. */
export interface AccessClaims {
  /** User id. */
  userId: number;
  /** Username. */
  username: string;
  /** Token id. */
  jti: string;
}

/** Generates a fresh RS256 key pair (tests; first start). */
export async function generateJwtKeys(): Promise<JwtKeys> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { privateKey, publicKey, publicPem: await exportSPKI(publicKey) };
}

/** Imports PEM keys (PKCS#8 private, SPKI public). */
export async function importJwtKeys(privatePem: string, publicPem: string): Promise<JwtKeys> {
  return {
    privateKey: await importPKCS8(privatePem, "RS256"),
    publicKey: await importSPKI(publicPem, "RS256"),
    publicPem,
  };
}

/**
 * Loads the key pair from the given files, or from `<dataDir>/jwt_*.pem`,
 * generating and saving it (0600) when absent.
 */
export async function loadJwtKeys(options: {
  privateKeyFile?: string | undefined;
  publicKeyFile?: string | undefined;
  dataDir: string;
}): Promise<JwtKeys> {
  if (options.privateKeyFile && options.publicKeyFile) {
    return await importJwtKeys(
      await Deno.readTextFile(options.privateKeyFile),
      await Deno.readTextFile(options.publicKeyFile),
    );
  }
  const privatePath = `${options.dataDir}/jwt_private.pem`;
  const publicPath = `${options.dataDir}/jwt_public.pem`;
  try {
    return await importJwtKeys(
      await Deno.readTextFile(privatePath),
      await Deno.readTextFile(publicPath),
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const keys = await generateJwtKeys();
  await Deno.mkdir(options.dataDir, { recursive: true });
  await Deno.writeTextFile(privatePath, await exportPKCS8(keys.privateKey), { mode: 0o600 });
  await Deno.writeTextFile(publicPath, keys.publicPem, { mode: 0o600 });
  return keys;
}

/** How many verified tokens {@link AccessTokens} remembers (oldest evicted first). */
export const VERIFIED_CACHE_SIZE = 10_000;

/** Issues and verifies access tokens. */
export class AccessTokens {
  readonly #keys: JwtKeys;
  readonly #clock: Clock;
  readonly #issuer: string;
  readonly #audience: string;
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
  // Verified tokens until they expire: an RS256 verification costs ~0.5-0.8 ms
  // and a browser presents the same token on every request of its 15 minutes.
  readonly #verified = new Map<string, AccessClaims & { expMs: number }>();

  /** Creates the issuer/verifier. */
  constructor(options: {
    keys: JwtKeys;
    clock: Clock;
    issuer: string;
    audience: string;
    ttlSeconds: number;
  }) {
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.ttlSeconds = options.ttlSeconds;
  }

  /** Signs an access token for a user. */
  sign(user: { id: number; username: string }): Promise<string> {
    const now = Math.floor(this.#clock.now() / 1000);
    return new SignJWT({ name: user.username })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuer(this.#issuer)
      .setAudience(this.#audience)
      .setSubject(String(user.id))
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(this.#keys.privateKey);
  }

  /**
   * Verifies a token.
   *
   * @throws {AuraError} AUTH_002 "Token is invalid or expired" for any failure.
   */
  async verify(token: string): Promise<AccessClaims> {
    const now = this.#clock.now();
    const cached = this.#verified.get(token);
    if (cached) {
      if (cached.expMs > now) {
        return { userId: cached.userId, username: cached.username, jti: cached.jti };
      }
      this.#verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.#keys.publicKey, {
        algorithms: ["RS256"],
        issuer: this.#issuer,
        audience: this.#audience,
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ["sub", "exp", "iat", "jti"],
      });
      const userId = Number(payload.sub);
      if (!Number.isSafeInteger(userId) || userId <= 0 || typeof payload.name !== "string") {
        throw new Error("bad subject");
      }
      const claims = { userId, username: payload.name, jti: String(payload.jti) };
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
        this.#verified.delete(this.#verified.keys().next().value!);
      }
      this.#verified.set(token, { ...claims, expMs: payload.exp! * 1000 });
      return claims;
    } catch {
      throw new AuraError("AUTH_002", "Token is invalid or expired");
    }
  }
}
