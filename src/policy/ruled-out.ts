/**
 * Which policies a request cannot satisfy, known before Cedar is called: a policy whose
 * conditions evaluate to false, with no error, is left out of the call (and so are the
 * attributes only it reads). That changes no decision, since what the policy would add to
 * Cedar's answer is nothing: not a reason, not an error. Handing Cedar fewer policies and
 * attributes is what makes the call cheaper: cedar-wasm spends microseconds on each attribute
 * it is given, and on each policy.
 *
 * The evaluation here is a small part of Cedar's, kept exact by answering only when sure: it
 * knows strings, booleans, integers, sets and records as the request's JSON gives them, the
 * request variables' attributes, `has`, `==`, `!=`, integer comparisons, `contains`, `like`,
 * `!`, `&&` and `||` (which in Cedar stop at the left operand when it decides), and for
 * everything else (and whatever could be an error) says "unknown", which keeps the policy.
 */

/** The request as Cedar would see it: the context and the principal's and resource's attributes sent. */
export interface RequestValues {
  context: Readonly<Record<string, unknown>>;
  /** Undefined when the entity is not sent (Cedar then errors on reading its attributes). */
  principal: Readonly<Record<string, unknown>> | undefined;
  resource: Readonly<Record<string, unknown>> | undefined;
}

/** True when the policy's conditions are false for this request, for certain and with no error. */
export type RuledOut = (values: RequestValues) => boolean;

const UNKNOWN = Symbol("unknown");
type Scalar = string | boolean | number;
type Known = Scalar | readonly unknown[] | Readonly<Record<string, unknown>>;
type Result = Known | typeof UNKNOWN;
type Evaluate = (values: RequestValues) => Result;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Whether a JSON value reaches Cedar as the string, boolean, integer, set or record it looks
 * like: no entity or extension escapes ("__entity", "__extn"), no number or string Cedar refuses
 * (a lone surrogate), no nesting deeper than it parses, nothing JSON.stringify would drop or
 * change (undefined, functions, objects with a toJSON). Anything else goes to Cedar whole, which
 * refuses what it cannot read: an error refuses the call.
 */
export function isPlain(v: unknown, depth = 0): boolean {
  // Deeper than Cedar parses (its recursion limit is 128): Cedar would refuse the request.
  if (depth > MAX_PLAIN_DEPTH) return false;
  if (typeof v === "string") return !LONE_SURROGATE.test(v);
  if (typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isSafeInteger(v);
  if (Array.isArray(v)) return v.every((item) => isPlain(item, depth + 1));
  if (!isRecord(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(v)) if (key.startsWith("__") || LONE_SURROGATE.test(key) || !isPlain(v[key], depth + 1)) return false;
  return true;
}

const MAX_PLAIN_DEPTH = 64;
/** Half of a UTF-16 pair without its other half: cedar-wasm cannot read such a string, and the call fails. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const known = (v: unknown): Result => (isPlain(v) ? (v as Known) : UNKNOWN);
const isScalar = (v: Result): v is Scalar => typeof v === "string" || typeof v === "boolean" || typeof v === "number";
const own = (record: Readonly<Record<string, unknown>>, name: string) => Object.prototype.hasOwnProperty.call(record, name);

/** The policy's conditions (Cedar's JSON form: `when` and `unless` clauses, in order) as a test; undefined when no clause can be evaluated here. */
export function ruledOutBy(conditions: readonly { kind: string; body: unknown }[]): RuledOut | undefined {
  if (conditions.length === 0 || conditions.some((c) => c.kind !== "when" && c.kind !== "unless")) return undefined;
  const clauses = conditions.map((c) => ({ unless: c.kind === "unless", evaluate: compile(c.body) }));
  if (clauses[0]?.evaluate === unknown) return undefined;
  // Cedar joins the clauses with && in order (an unless negated), so the first false one decides
  // only if every clause before it is true.
  return (values) => {
    for (const clause of clauses) {
      const v = clause.evaluate(values);
      if (typeof v !== "boolean") return false;
      if (v === clause.unless) return true;
    }
    return false;
  };
}

const unknown: Evaluate = () => UNKNOWN;

function compile(node: unknown): Evaluate {
  if (!isRecord(node)) return unknown;
  const keys = Object.keys(node);
  if (keys.length !== 1) return unknown;
  const op = keys[0] as string;
  const arg = node[op];
  switch (op) {
    case "Value":
      return isScalar(known(arg)) ? () => arg as Scalar : unknown;
    case "Var":
      return arg === "context" ? (values) => values.context : unknown;
    case ".":
    case "has":
      return isRecord(arg) && typeof arg.attr === "string" ? attribute(op, arg.left, arg.attr) : unknown;
    case "!": {
      if (!isRecord(arg)) return unknown;
      const inner = compile(arg.arg);
      return (values) => {
        const v = inner(values);
        return typeof v === "boolean" ? !v : UNKNOWN;
      };
    }
    case "&&":
    case "||":
    case "==":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
    case "contains":
      return isRecord(arg) ? binary(op, compile(arg.left), compile(arg.right)) : unknown;
    case "like":
      return isRecord(arg) ? like(compile(arg.left), arg.pattern) : unknown;
    default:
      return unknown;
  }
}

/** `X.attr` or `X has attr`; X is the context, the principal, the resource or a record. */
function attribute(op: "." | "has", left: unknown, name: string): Evaluate {
  const variable = isRecord(left) && (left.Var === "principal" || left.Var === "resource") ? left.Var : undefined;
  const of: (values: RequestValues) => Result | undefined = variable ? (values) => values[variable] : compile(left);
  return (values) => {
    const record = of(values);
    if (!isRecord(record)) return UNKNOWN;
    if (!own(record, name)) return op === "has" ? false : UNKNOWN;
    const v = known(record[name]);
    if (op === "." || v === UNKNOWN) return v;
    return true;
  };
}

function binary(op: string, left: Evaluate, right: Evaluate): Evaluate {
  switch (op) {
    case "&&":
      return (values) => {
        const l = left(values);
        if (l !== true) return l === false ? false : UNKNOWN;
        const r = right(values);
        return typeof r === "boolean" ? r : UNKNOWN;
      };
    case "||":
      return (values) => {
        const l = left(values);
        if (l !== false) return l === true ? true : UNKNOWN;
        const r = right(values);
        return typeof r === "boolean" ? r : UNKNOWN;
      };
    case "==":
    case "!=":
      // Values of different types are unequal in Cedar, not an error; sets and records are left to Cedar.
      return (values) => {
        const l = left(values);
        const r = right(values);
        if (!isScalar(l) || !isScalar(r)) return UNKNOWN;
        return (l === r) === (op === "==");
      };
    case "contains":
      return (values) => {
        const l = left(values);
        const r = right(values);
        if (!Array.isArray(l) || !isScalar(r)) return UNKNOWN;
        // A set element that is a set or a record never equals a scalar; scalars compare by type and value.
        return l.includes(r);
      };
    default:
      return (values) => {
        const l = left(values);
        const r = right(values);
        if (typeof l !== "number" || typeof r !== "number") return UNKNOWN;
        return op === "<" ? l < r : op === "<=" ? l <= r : op === ">" ? l > r : l >= r;
      };
  }
}

/** `s like pattern`: the pattern as Cedar's JSON gives it, literal characters and wildcards. */
function like(left: Evaluate, pattern: unknown): Evaluate {
  if (!Array.isArray(pattern)) return unknown;
  const parts: (string | null)[] = [];
  for (const p of pattern) {
    if (p === "Wildcard") parts.push(null);
    else if (isRecord(p) && typeof p.Literal === "string" && [...p.Literal].length === 1) parts.push(p.Literal);
    else return unknown;
  }
  return (values) => {
    const l = left(values);
    return typeof l === "string" ? matches([...l], parts) : UNKNOWN;
  };
}

/** Glob matching over characters (code points), null a wildcard matching a run of zero or more. */
function matches(text: readonly string[], parts: readonly (string | null)[]): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < parts.length && parts[p] !== null && parts[p] === text[t]) {
      t++;
      p++;
    } else if (p < parts.length && parts[p] === null) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < parts.length && parts[p] === null) p++;
  return p === parts.length;
}
