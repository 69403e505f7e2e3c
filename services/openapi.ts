/**
 * The OpenAPI document, generated from the same zod schemas that validate
 * requests: each route module calls {@link registerRoute} next to its handler,
 * and GET /api/v1/openapi.json renders the registry (zod 4 `z.toJSONSchema`).
 *
 * @module
 */
import { z } from "zod";

/** One documented operation. */
export interface RouteDoc {
  /** HTTP method. */
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Full path in OpenAPI style, e.g. `/api/v1/strategies/{id}`. */
  path: string;
  /** One-line summary. */
  summary: string;
  /** Request body schema (JSON). */
  body?: z.ZodType;
  /** Query schema (an object of scalar fields). */
  query?: z.ZodObject;
  /** Successful response body schema. */
  response?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Whether a session (Bearer token or cookie) is required. */
  auth: boolean;
  /** Grouping tag (default: the path segment after /api/v1). */
  tag?: string;
}

const registry = new Map<string, RouteDoc>();
// The document is rebuilt only after a registration: z.toJSONSchema over every
// route costs ~10 ms.
let built: Record<string, unknown> | null = null;

/** Adds (or replaces) the documentation of one operation. */
export function registerRoute(doc: RouteDoc): void {
  registry.set(`${doc.method} ${doc.path}`, doc);
  built = null;
}

function schemaOf(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
}

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string", example: "API_004" },
        message: { type: "string" },
        details: {},
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

/** Builds the OpenAPI 3.1 document from the registry. */
export function buildOpenApi(): Record<string, unknown> {
  built ??= render();
  return built;
}

function render(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const docs = [...registry.values()].sort((a, b) => a.path.localeCompare(b.path));
  for (const d of docs) {
    const params: unknown[] = [];
    for (const m of d.path.matchAll(/\{(\w+)\}/g)) {
      params.push({ name: m[1], in: "path", required: true, schema: { type: "integer" } });
    }
    if (d.query) {
      const q = schemaOf(d.query) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        params.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
      }
    }
    const op: Record<string, unknown> = {
      summary: d.summary,
      tags: [d.tag ?? d.path.split("/")[3] ?? "system"],
      responses: {
        [String(d.status ?? 200)]: {
          description: "Success",
          ...(d.response
            ? { content: { "application/json": { schema: schemaOf(d.response) } } }
            : {}),
        },
        default: {
          description: "Error",
          content: { "application/json": { schema: errorSchema } },
        },
      },
    };
    if (params.length) op.parameters = params;
    if (d.body) {
      op.requestBody = {
        required: true,
        content: { "application/json": { schema: schemaOf(d.body) } },
      };
    }
    if (d.auth) op.security = [{ bearer: [] }, { cookie: [] }];
    (paths[d.path] ??= {})[d.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "AURA API", version: "1.0.0" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        cookie: { type: "apiKey", in: "cookie", name: "aura_access" },
      },
    },
    paths,
  };
}
