/**
 * How an exercise is described. One file per chapter (lib/exercises/NN-name.ts)
 * exports `exercises: Exercise[]`; lib/exercises/registry.ts lists them all.
 */

export interface ExerciseCase {
  /** Short name shown when the case fails, e.g. "empty list". */
  label?: string;
  /** Arguments passed to the learner's function. Built fresh on every check. */
  args: unknown[];
  /** The right answer: by hand from first principles, or from the lib's reference code. */
  expected: unknown;
}

export interface Exercise {
  /** "<chapter>-<name>", e.g. "01-count-pairs"; also the nbgrader grade_id of the solution cell. */
  id: string;
  title: string;
  /** Points when every case passes (nbgrader's points of the check cell). */
  points: number;
  /** The test cases, built fresh on each call (they may create tensors). */
  cases(): ExerciseCase[];
  /** Absolute/relative tolerance for numbers (default 1e-6). */
  tolerance?: number;
  /** Custom comparison of plain values: null when right, else why not. */
  compare?(got: unknown, expected: unknown): string | null;
  /**
   * A hint for a recognisable mistake (e.g. "off by exactly the biases"), given a failing
   * case's plain answer, expected value and arguments; undefined when no hint applies.
   */
  hint?(got: unknown, expected: unknown, args: unknown[]): string | undefined;
}

export interface CaseOutcome {
  label: string;
  /** Short text of the arguments. */
  input: string;
  expected: unknown;
  got?: unknown;
  /** Set when the learner's function threw. */
  error?: string;
  passed: boolean;
  /** Why it failed (first difference), when it failed. */
  message?: string;
  /** A hint for a recognisable mistake, when one applies. */
  hint?: string;
}

export interface CheckResult {
  id: string;
  title: string;
  passed: boolean;
  points: number;
  maxPoints: number;
  cases: CaseOutcome[];
}
