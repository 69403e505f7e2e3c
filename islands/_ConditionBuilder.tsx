/**
 * The no-code condition builder used by the strategy editor island: rows of
 * `operand operator operand`, where an operand is an indicator with its
 * parameters or a constant, and ANY-groups of rows. All rows of a list must
 * hold (ALL); a group holds when one of its rows does (ANY). The value edited
 * is the rule language's JSON itself, so what is saved is what is shown.
 *
 * @module
 */
import type { JSX } from "preact";

/** An operand of the rule language (loosely typed: the API validates). */
export type OperandJson =
  | { indicator: "SMA" | "EMA"; period: number }
  | { indicator: "RSI"; period: number }
  | {
    indicator: "MACD";
    fast: number;
    slow: number;
    signal: number;
    output: "macd" | "signal" | "histogram";
  }
  | { indicator: "PRICE" }
  | { value: number };

/** A comparison. */
export interface ComparisonJson {
  /** Left operand. */
  left: OperandJson;
  /** Operator. */
  op: string;
  /** Right operand. */
  right: OperandJson;
}

/** A condition: comparison or ANY-group. */
export type ConditionJson = ComparisonJson | { any: ConditionJson[] };

/** Operators with their labels. */
export const OPERATORS: [string, string][] = [
  [">", "is above"],
  [">=", "is at or above"],
  ["<", "is below"],
  ["<=", "is at or below"],
  ["crosses_above", "crosses above"],
  ["crosses_below", "crosses below"],
];

const KINDS = ["PRICE", "SMA", "EMA", "RSI", "MACD", "VALUE"] as const;
type Kind = typeof KINDS[number];

const KIND_LABELS: Record<Kind, string> = {
  PRICE: "Price (close)",
  SMA: "SMA",
  EMA: "EMA",
  RSI: "RSI",
  MACD: "MACD",
  VALUE: "Value",
};

/** A new comparison row: RSI(14) below 30. */
export function newComparison(): ComparisonJson {
  return { left: { indicator: "RSI", period: 14 }, op: "<", right: { value: 30 } };
}

function kindOf(o: OperandJson): Kind {
  return "value" in o ? "VALUE" : o.indicator;
}

function operandOfKind(kind: Kind, previous: OperandJson): OperandJson {
  const period = "period" in previous ? previous.period : 14;
  switch (kind) {
    case "PRICE":
      return { indicator: "PRICE" };
    case "SMA":
    case "EMA":
      return { indicator: kind, period: period || 20 };
    case "RSI":
      return { indicator: "RSI", period: 14 };
    case "MACD":
      return { indicator: "MACD", fast: 12, slow: 26, signal: 9, output: "macd" };
    case "VALUE":
      return { value: 0 };
  }
}

const num = (e: Event) => {
  const v = (e.target as HTMLInputElement).valueAsNumber;
  return Number.isFinite(v) ? v : 0;
};

interface OperandProps {
  id: string;
  label: string;
  value: OperandJson;
  onChange: (o: OperandJson) => void;
}

function OperandEditor({ id, label, value, onChange }: OperandProps): JSX.Element {
  const kind = kindOf(value);
  const numberField = (field: string, fieldLabel: string, current: number, min = 1) => (
    <label class="param">
      <span>{fieldLabel}</span>
      <input
        type="number"
        min={min}
        max={1000}
        step={1}
        value={current}
        aria-label={`${label} ${fieldLabel}`}
        onInput={(e) => onChange({ ...value, [field]: num(e) } as OperandJson)}
      />
    </label>
  );
  return (
    <div class="operand">
      <select
        id={id}
        aria-label={`${label} indicator`}
        value={kind}
        onChange={(e) =>
          onChange(operandOfKind((e.target as HTMLSelectElement).value as Kind, value))}
      >
        {KINDS.map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
      </select>
      {"period" in value && numberField("period", "period", value.period, 1)}
      {"indicator" in value && value.indicator === "MACD" && (
        <>
          {numberField("fast", "fast", value.fast)}
          {numberField("slow", "slow", value.slow)}
          {numberField("signal", "signal", value.signal)}
          <select
            aria-label={`${label} MACD line`}
            value={value.output}
            onChange={(e) =>
              onChange({
                ...value,
                output: (e.target as HTMLSelectElement).value as "macd",
              })}
          >
            <option value="macd">MACD line</option>
            <option value="signal">Signal line</option>
            <option value="histogram">Histogram</option>
          </select>
        </>
      )}
      {"value" in value && (
        <input
          type="number"
          step="any"
          class="value-input"
          aria-label={`${label} value`}
          value={value.value}
          onInput={(e) => onChange({ value: num(e) })}
        />
      )}
    </div>
  );
}

/** Props of {@link ConditionList}. */
export interface ConditionListProps {
  /** DOM id prefix, e.g. "entry". */
  id: string;
  /** Human name of the list, e.g. "Entry". */
  label: string;
  /** The conditions. */
  value: ConditionJson[];
  /** Called with the new list on every edit. */
  onChange: (next: ConditionJson[]) => void;
  /** Problems by JSON path relative to the list, e.g. `[0].left.period`. */
  issues: Record<string, string>;
  /** Whether this is an ANY-group (nested list). */
  any?: boolean;
}

/** An editable list of conditions (ALL at the top level, ANY inside a group). */
export function ConditionList(props: ConditionListProps): JSX.Element {
  const { id, label, value, onChange, issues } = props;
  const set = (i: number, c: ConditionJson) => onChange(value.map((x, j) => (j === i ? c : x)));
  const remove = (i: number) => onChange(value.filter((_, j) => j !== i));
  const issueUnder = (prefix: string) =>
    Object.entries(issues).filter(([p]) =>
      p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`)
    );
  return (
    <div class={props.any ? "conditions any-group" : "conditions"}>
      {value.length === 0 && (
        <p class="muted">
          {props.any ? "Empty group." : `No ${label.toLowerCase()} conditions.`}
        </p>
      )}
      {value.map((c, i) => {
        const rowId = `${id}-${i}`;
        const problems = issueUnder(`[${i}]`);
        if ("any" in c) {
          return (
            <fieldset class="group" key={rowId}>
              <legend>Any of these holds</legend>
              <ConditionList
                id={rowId}
                label={label}
                value={c.any}
                any
                onChange={(next) => set(i, { any: next })}
                issues={Object.fromEntries(
                  problems.map(([p, m]) => [p.slice(`[${i}].any`.length), m]),
                )}
              />
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => remove(i)}>
                Remove group
              </button>
            </fieldset>
          );
        }
        return (
          <div class="condition" key={rowId} data-testid={`${id}-row`}>
            {i > 0 && <span class="joiner">{props.any ? "or" : "and"}</span>}
            <OperandEditor
              id={`${rowId}-left`}
              label={`${label} condition ${i + 1} left`}
              value={c.left}
              onChange={(left) => set(i, { ...c, left })}
            />
            <select
              aria-label={`${label} condition ${i + 1} operator`}
              value={c.op}
              onChange={(e) => set(i, { ...c, op: (e.target as HTMLSelectElement).value })}
            >
              {OPERATORS.map(([op, text]) => <option key={op} value={op}>{text}</option>)}
            </select>
            <OperandEditor
              id={`${rowId}-right`}
              label={`${label} condition ${i + 1} right`}
              value={c.right}
              onChange={(right) => set(i, { ...c, right })}
            />
            <button
              type="button"
              class="btn btn-ghost btn-sm"
              aria-label={`Remove ${label.toLowerCase()} condition ${i + 1}`}
              onClick={() => remove(i)}
            >
              ✕
            </button>
            {problems.length > 0 && (
              <p class="field-error row-error" role="alert">
                {problems.map(([p, m]) => `${p.replace(/^\[\d+\]\.?/, "") || "condition"}: ${m}`)
                  .join("; ")}
              </p>
            )}
          </div>
        );
      })}
      <div class="row-actions">
        <button
          type="button"
          class="btn btn-sm"
          onClick={() => onChange([...value, newComparison()])}
        >
          + {props.any ? "Alternative" : "Condition"}
        </button>
        {!props.any && (
          <button
            type="button"
            class="btn btn-sm"
            onClick={() => onChange([...value, { any: [newComparison(), newComparison()] }])}
          >
            + Any-of group
          </button>
        )}
      </div>
    </div>
  );
}
