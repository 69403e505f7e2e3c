/**
 * Builds the browser code (ui/client.ts and the islands it imports) with
 * esbuild in memory: ES modules, code-split per island, minified, every file
 * named by its content hash so it can be cached forever. Built once per
 * process on first use and kept in memory; nothing is written to disk.
 *
 * @module
 */
import * as esbuild from "esbuild";

/** One built file. */
export interface BuiltFile {
  /** URL path under which it is served, e.g. `/static/build/client-AB12CD.js`. */
  path: string;
  /** File contents. */
  contents: Uint8Array;
  /** Paths of the files it imports statically (always loaded with it). */
  imports: string[];
  /** Paths of the files it imports dynamically (loaded on demand). */
  dynamicImports: string[];
  /** Source modules inside it, relative to the repository (to find an island's chunk). */
  inputs: string[];
}

/** The result of a build. */
export interface Bundle {
  /** URL path of the client entry (what pages load). */
  entry: string;
  /** Every file by URL path. */
  files: Map<string, BuiltFile>;
}

/** URL prefix the built files are served under. */
export const BUILD_PREFIX = "/static/build/";

const ROOT = new URL("../", import.meta.url);

/**
 * Bundles `ui/client.ts` for the browser.
 *
 * @throws {Error} when esbuild reports errors (a broken island fails loudly at start).
 */
export async function buildClient(): Promise<Bundle> {
  const rootDir = decodeURIComponent(ROOT.pathname);
  try {
    const result = await esbuild.build({
      absWorkingDir: rootDir,
      entryPoints: ["ui/client.ts"],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      metafile: true,
      outdir: "static/build",
      entryNames: "[name]-[hash]",
      chunkNames: "[name]-[hash]",
      jsx: "automatic",
      jsxImportSource: "preact",
      nodePaths: [`${rootDir}node_modules`],
      logLevel: "silent",
      legalComments: "none",
    });
    const files = new Map<string, BuiltFile>();
    let entry = "";
    const toPath = (out: string) => BUILD_PREFIX + out.slice(out.lastIndexOf("/") + 1);
    for (const out of result.outputFiles) {
      const rel = out.path.slice(out.path.lastIndexOf("/static/build/") + 1);
      const meta = result.metafile.outputs[rel];
      const path = toPath(out.path);
      files.set(path, {
        path,
        contents: out.contents,
        imports: (meta?.imports ?? []).filter((i) => i.kind === "import-statement").map((i) =>
          toPath(i.path)
        ),
        dynamicImports: (meta?.imports ?? []).filter((i) => i.kind === "dynamic-import").map((
          i,
        ) => toPath(i.path)),
        inputs: Object.keys(meta?.inputs ?? {}),
      });
      if (meta?.entryPoint === "ui/client.ts") entry = path;
    }
    if (!entry) throw new Error("Cannot build the client: esbuild produced no entry file");
    return { entry, files };
  } finally {
    // esbuild keeps a child process alive between builds; one build per process is enough.
    await esbuild.stop();
  }
}

/** The files a page loads when it shows `islands` (entry + island chunks + their static imports). */
export function filesForIslands(bundle: Bundle, islands: readonly string[]): BuiltFile[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const dep of bundle.files.get(path)?.imports ?? []) visit(dep);
  };
  visit(bundle.entry);
  for (const name of islands) {
    const chunk = [...bundle.files.values()].find((f) => f.inputs.includes(`islands/${name}.tsx`));
    if (!chunk) throw new Error(`Cannot find the chunk of island "${name}"`);
    visit(chunk.path);
    // A chart island loads its library on mount: count it for the pages that show it.
    for (const dyn of chunk.dynamicImports) visit(dyn);
  }
  return [...seen].map((p) => bundle.files.get(p)!).filter(Boolean);
}

/** Gzipped size of `bytes` (what the browser downloads), via CompressionStream. */
export async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(stream).arrayBuffer()).byteLength;
}
