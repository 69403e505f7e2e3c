/**
 * Turns zod issues into `{ path, message }` pairs a user can act on.
 *
 * Operands and conditions are unions without a shared discriminator (an
 * operand is `{indicator}` or `{value}`, a condition `{left,op,right}` or
 * `{any}`), so zod reports every branch's complaints. We follow the branch the
 * input was evidently aiming at: the one with the fewest "wrong shape"
 * complaints (missing keys, unknown keys at its root).
 *
 * @module
 */

import type { z } from "zod";

/** One validation problem, with a JSON path such as `entryConditions[0].left.period`. */
export interface StrategyIssue {
  /** JSON path of the offending value (empty for the document itself). */
  path: string;
  /** What is wrong with it. */
  message: string;
}

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/** Formats zod issues for `input` as path/message pairs, descending into unions. */
export function formatIssues(issues: readonly Issue[], input: unknown): StrategyIssue[] {
  const out: StrategyIssue[] = [];
  collect(issues, input, [], out);
  return out;
}

function collect(issues: readonly Issue[], input: unknown, prefix: Key[], out: StrategyIssue[]) {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      collect(pickBranch(issue.errors, valueAt(input, path)), input, path, out);
    } else if (issue.code === "invalid_union" && "options" in issue) {
      const options = (issue.options as unknown[]).join(", ");
      const got = JSON.stringify(valueAt(input, path));
      const message = got === undefined
        ? `is required (one of ${options})`
        : `unknown value ${got}; expected one of ${options}`;
      out.push({ path: formatPath(path), message });
    } else if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...path, key]), message: "unknown field" });
      }
    } else if (issue.code === "invalid_type" && valueAt(input, path) === undefined) {
      out.push({ path: formatPath(path), message: "is required" });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
}

/** The branch whose complaints say least about the input having another shape. */
function pickBranch(branches: readonly (readonly Issue[])[], value: unknown): readonly Issue[] {
  let best = branches[0] ?? [];
  let bestScore = Infinity;
  for (const branch of branches) {
    let score = 0;
    for (const issue of branch) {
      const rootShape = issue.path.length === 0 &&
        (issue.code === "unrecognized_keys" || issue.code === "invalid_type");
      const missingKey = issue.path.length === 1 && valueAt(value, issue.path) === undefined;
      if (rootShape || missingKey) score++;
    }
    if (score < bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function valueAt(input: unknown, path: readonly Key[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<Key, unknown>)[key];
  }
  return v;
}

/** `["entryConditions", 0, "left", "period"]` → `entryConditions[0].left.period`. */
export function formatPath(path: readonly Key[]): string {
  let s = "";
  for (const key of path) {
    if (typeof key === "number") s += `[${key}]`;
    else s += s === "" ? String(key) : `.${String(key)}`;
  }
  return s;
}
