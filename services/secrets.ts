/**
 * The secret box: AES-256-GCM (Web Crypto) for the Binance secrets at rest.
 * A random 12-byte IV per encryption, the owner's user id as associated data
 * (a ciphertext copied to another user's row does not decrypt), and the
 * master key's id inside the stored string `"<keyId>:<iv b64>:<ct b64>"` so
 * the master key can rotate: old keys stay available for decryption and
 * {@link reencryptAll} moves every row to the current key.
 *
 * @module
 */
import type { Db } from "../db/port.ts";
import { listAllApiKeys, updateEncryptedSecret } from "../db/api_keys.ts";
import { AuraError } from "../engine/errors.ts";

/** Master key material: the current key and older ones kept for decryption. */
export interface MasterKeys {
  /** Id of the key new ciphertexts use. */
  currentId: string;
  /** Raw 32-byte keys by id (the current one included). */
  keys: Map<string, Uint8Array>;
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

function parseKey(id: string, base64: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = unb64(base64.trim());
  } catch {
    raw = new Uint8Array();
  }
  if (raw.length !== 32) {
    throw new AuraError("API_004", `Master key "${id}" must be 32 bytes in base64`);
  }
  return raw;
}

/**
 * Loads master keys: AURA_MASTER_KEY (id AURA_MASTER_KEY_ID), or
 * `<dataDir>/master.key` generated (0600) on first start; plus old keys given
 * as `"id:base64,id:base64"` for rotation.
 */
export async function loadMasterKeys(options: {
  masterKey?: string | undefined;
  keyId: string;
  oldKeys?: string | undefined;
  dataDir: string;
}): Promise<MasterKeys> {
  const keys = new Map<string, Uint8Array>();
  for (const entry of (options.oldKeys ?? "").split(",").filter((e) => e.trim())) {
    const [id, value] = entry.split(":");
    if (!id || !value) throw new AuraError("API_004", 'Old master keys must be "id:base64,..."');
    keys.set(id.trim(), parseKey(id.trim(), value));
  }
  let current = options.masterKey;
  if (!current) {
    const path = `${options.dataDir}/master.key`;
    try {
      current = (await Deno.readTextFile(path)).trim();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      current = b64(crypto.getRandomValues(new Uint8Array(32)));
      await Deno.mkdir(options.dataDir, { recursive: true });
      await Deno.writeTextFile(path, current + "\n", { mode: 0o600 });
    }
  }
  keys.set(options.keyId, parseKey(options.keyId, current));
  return { currentId: options.keyId, keys };
}

/** Random master keys (tests). */
export function generateMasterKeys(id = "k1"): MasterKeys {
  return { currentId: id, keys: new Map([[id, crypto.getRandomValues(new Uint8Array(32))]]) };
}

/** Encrypts and decrypts secrets bound to a user. */
export class SecretBox {
  readonly #master: MasterKeys;
  readonly #imported = new Map<string, Promise<CryptoKey>>();

  /** Creates a box over `master`. */
  constructor(master: MasterKeys) {
    this.#master = master;
  }

  /** Id of the key new ciphertexts use. */
  get currentKeyId(): string {
    return this.#master.currentId;
  }

  #key(id: string): Promise<CryptoKey> {
    let key = this.#imported.get(id);
    if (!key) {
      const raw = this.#master.keys.get(id);
      if (!raw) {
        throw new AuraError("SYS_001", `Cannot decrypt a secret: master key "${id}" is not loaded`);
      }
      key = crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
      this.#imported.set(id, key);
    }
    return key;
  }

  /** Encrypts `plaintext` for `userId` with the current key. */
  async encrypt(plaintext: string, userId: number): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(`user:${userId}`) },
      await this.#key(this.#master.currentId),
      new TextEncoder().encode(plaintext),
    );
    return `${this.#master.currentId}:${b64(iv)}:${b64(new Uint8Array(ct))}`;
  }

  /**
   * Decrypts a stored string for `userId`.
   *
   * @throws {AuraError} SYS_001 when the key is unknown or the ciphertext was
   * tampered with or belongs to another user (no detail about which).
   */
  async decrypt(stored: string, userId: number): Promise<string> {
    const [id, iv, ct] = stored.split(":");
    if (!id || !iv || !ct) throw new AuraError("SYS_001", "Cannot decrypt a secret: bad format");
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: unb64(iv) as BufferSource,
          additionalData: new TextEncoder().encode(`user:${userId}`),
        },
        await this.#key(id),
        unb64(ct) as BufferSource,
      );
      return new TextDecoder().decode(plain);
    } catch (error) {
      if (error instanceof AuraError) throw error;
      throw new AuraError("SYS_001", "Cannot decrypt a secret: integrity check failed");
    }
  }

  /** The key id a stored string was encrypted with. */
  keyIdOf(stored: string): string {
    return stored.split(":")[0] ?? "";
  }
}

/**
 * Re-encrypts every stored secret not yet under the current key (after a
 * master key rotation). Returns how many rows changed.
 */
export async function reencryptAll(db: Db, box: SecretBox): Promise<number> {
  let changed = 0;
  for (const row of await listAllApiKeys(db)) {
    if (box.keyIdOf(row.secretEncrypted) === box.currentKeyId) continue;
    const plain = await box.decrypt(row.secretEncrypted, row.userId);
    await updateEncryptedSecret(db, row.id, await box.encrypt(plain, row.userId));
    changed++;
  }
  return changed;
}
