/**
 * The code the grader itself sends to a grading kernel after a submission's cells ran.
 *
 * NONCE (a placeholder with NUL characters, which JSON-encoded arguments can never contain)
 * is replaced by run_submission.py with a random token made only after the submission's cells ran; identifiers include it so they cannot clash with (or be
 * pre-defined by) the submission's own names. The kernel receives case *arguments* only;
 * expected values stay in the grader. The learner's function is taken from the course's
 * check cell (`fnExpr`), never from the submission's.
 */
import { encodeValue } from "./wire";

/** Replaced by run_submission.py (keep the two in step). */
export const NONCE = "\u0000NONCE\u0000";
const PREFIX = `tinyLlmGrade${NONCE}`;

/** Loads the grader's helpers into the kernel (from the submission folder's fresh copy of lib/). */
export function setupCode(): string {
  return [
    `import { collectAnswers as ${PREFIX}Collect } from "./lib/exercises/check";`,
    `import { decodeValue as ${PREFIX}Decode, encodeValue as ${PREFIX}Encode } from "./lib/tools/grader/wire";`,
    `void ${PREFIX}Collect; void ${PREFIX}Decode; void ${PREFIX}Encode;`,
  ].join("\n");
}

/** `// @ts-ignore` before every line, so a missing function is a runtime error we can report. */
function untyped(expr: string): string {
  if (expr.includes("`")) return `// @ts-ignore\n${expr}`;
  return expr
    .split("\n")
    .map((l) => `// @ts-ignore\n${l}`)
    .join("\n");
}

/** Markers around the answers printed for request `key` (must match run_submission.py). */
export function markers(nonce: string, key: string): [string, string] {
  return [`BEGIN-${nonce}-${key}:`, `:END-${nonce}-${key}`];
}

/**
 * One exercise: call `fnExpr` on each argument list, print the plain answers between markers.
 * Payload: {answers: Answer[]} | {missing: what} | {failed: message}.
 */
export function exerciseCode(key: string, index: number, fnExpr: string, argsList: unknown[][]): string {
  if (!/^[\w-]+$/.test(key)) throw new Error(`exercise id ${JSON.stringify(key)} may contain only letters, digits, _ and -`);
  const wire = JSON.stringify(encodeValue(argsList));
  const [begin, end] = markers(NONCE, key);
  const fn = `${PREFIX}Run${index}`;
  return `async function ${fn}(): Promise<void> {
  let payload: unknown;
  try {
    let fn: unknown;
    try {
      fn = (
${untyped(fnExpr)}
      );
    } catch (err) {
      fn = err;
    }
    if (typeof fn !== "function") {
      payload = { missing: fn instanceof Error ? fn.message : fn === undefined ? "undefined" : typeof fn };
    } else {
      const argsList = ${PREFIX}Decode(JSON.parse(${JSON.stringify(wire)}), { tensors: true }) as unknown[][];
      const answers = await ${PREFIX}Collect(argsList.map((args) => ({ args, expected: null })), fn as (...args: never[]) => unknown);
      payload = { answers: ${PREFIX}Encode(answers, true) };
    }
  } catch (err) {
    payload = { failed: err instanceof Error ? err.message : String(err) };
  }
  console.log("${begin}" + JSON.stringify(payload) + "${end}");
}
await ${fn}();`;
}
