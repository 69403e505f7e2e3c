/**
 * Request validation with zod: every body, query and param goes through these,
 * so bad input is always a 400 with `{ error: { code, message, details } }`
 * naming the JSON path of each problem — never a 500.
 *
 * @module
 */
import type { Context } from "hono";
import type { z } from "zod";
import { AuraError, type ErrorCode } from "../../engine/errors.ts";

/** Formats zod issues as `path: message` items. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.reduce<string>(
      (acc, p) => typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p),
      "",
    ) || "(root)",
    message: i.message,
  }));
}

/** Validates `value` against `schema` or throws AuraError(`code`) listing every issue. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ErrorCode = "API_004",
  what = "Request",
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error);
  const message = `${what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
  throw new AuraError(code, message, { issues });
}

/** Reads and validates a JSON body; malformed JSON is a 400, not a 500. */
export async function parseJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  code: ErrorCode = "API_004",
): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new AuraError("API_004", "Request body must be valid JSON");
  }
  return validate(schema, body, code, "Request body");
}

/** Validates the query string. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return validate(schema, c.req.query(), "API_004", "Query");
}

/** Parses a positive integer path parameter; anything else answers 404 (the resource cannot exist). */
export function parseId(c: Context, name = "id"): number {
  const raw = c.req.param(name) ?? "";
  if (!/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > 2_147_483_647) {
    throw new AuraError("API_005", "Not found");
  }
  return Number(raw);
}
