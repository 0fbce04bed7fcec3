/**
 * Hidden tests kept outside the repository: a teacher's private JSON file, keyed by exercise
 * id, that `npm run grade -- … --hidden FILE` adds to the course's cases. Students who read the
 * public notebooks never see them, and a student's kernel only ever receives their arguments
 * (as for hidden tests written in a check cell); the expected values stay in the grader.
 *
 * The format (`npm run grade -- --hidden-template FILE` writes one for the whole course, with
 * one visible case of every exercise as an example):
 *
 *   {
 *     "format": "tiny-llm-hidden-tests/1",
 *     "exercises": {
 *       "01-count-pairs": [
 *         { "label": "a private case", "args": [[1, 2, 1, 2]], "expected": { "1,2": 2, "2,1": 1 } }
 *       ]
 *     }
 *   }
 *
 * `args` is the list of arguments the student's function is called with, `expected` the right
 * answer, both JSON — with the grader's wire tags for what JSON cannot hold (NaN, typed arrays,
 * Map, tensors: {"$": "Float32Array", …}; the template shows them where an exercise uses them).
 * Other top-level keys ("about", "examples") are ignored.
 */
import * as fs from "fs";
import { ExerciseCase } from "../../exercises/types";
import { CourseError, CourseNotebook } from "./course";
import { decodeValue, encodeValue } from "./wire";

export const HIDDEN_FORMAT = "tiny-llm-hidden-tests/1";

export interface HiddenCaseJson {
  label?: string;
  args: unknown[];
  expected: unknown;
}

export interface HiddenTestsFile {
  format: string;
  about?: string;
  exercises: Record<string, HiddenCaseJson[]>;
  examples?: Record<string, HiddenCaseJson>;
}

/** The private cases by exercise id, decoded (arguments may be tensors: call after setupBackend()). */
export type HiddenTests = Map<string, ExerciseCase[]>;

const fail = (file: string, msg: string): never => {
  throw new CourseError(`hidden tests ${file}: ${msg}`);
};

/** Read and check a hidden-tests file against the course's exercise ids. */
export function loadHiddenTests(file: string, courses: CourseNotebook[]): HiddenTests {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    return fail(file, `cannot read it (${(err as Error).message}); make one with npm run grade -- --hidden-template ${file}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail(file, `not valid JSON (${(err as Error).message})`);
  }
  const d = data as Partial<HiddenTestsFile>;
  if (!d || typeof d !== "object" || Array.isArray(d)) return fail(file, `expected an object {"format": "${HIDDEN_FORMAT}", "exercises": {…}}`);
  if (d.format !== HIDDEN_FORMAT) return fail(file, `"format" must be "${HIDDEN_FORMAT}" (got ${JSON.stringify(d.format)})`);
  if (!d.exercises || typeof d.exercises !== "object" || Array.isArray(d.exercises)) return fail(file, `"exercises" must be an object keyed by exercise id`);
  const known = new Set(courses.flatMap((c) => c.exercises.map((e) => e.id)));
  const out: HiddenTests = new Map();
  for (const [id, list] of Object.entries(d.exercises)) {
    if (!known.has(id)) {
      const near = [...known].filter((k) => k.slice(0, 3) === id.slice(0, 3));
      return fail(file, `no exercise "${id}" in the course notebooks${near.length ? ` (chapter ${id.slice(0, 2)} has ${near.join(", ")})` : ""}`);
    }
    if (!Array.isArray(list)) return fail(file, `"${id}" must be a list of cases [{ "args": [...], "expected": … }]`);
    out.set(
      id,
      list.map((c, i) => {
        const where = `"${id}" case ${i + 1}`;
        if (!c || typeof c !== "object" || Array.isArray(c)) return fail(file, `${where} must be an object { "args": [...], "expected": … }`);
        if (!Array.isArray(c.args)) return fail(file, `${where}: "args" must be the list of arguments, e.g. "args": [[1, 2, 3]] for one array argument`);
        if (!("expected" in c)) return fail(file, `${where}: "expected" is missing`);
        if (c.label !== undefined && typeof c.label !== "string") return fail(file, `${where}: "label" must be a string`);
        try {
          return { label: c.label, args: decodeValue(c.args, { tensors: true }) as unknown[], expected: decodeValue(c.expected) };
        } catch (err) {
          return fail(file, `${where}: ${(err as Error).message}`);
        }
      }),
    );
  }
  return out;
}

/** A template for the whole course: every exercise with no private case yet, and one visible case of each as an example of the format. */
export function hiddenTestsTemplate(courses: CourseNotebook[]): HiddenTestsFile {
  const exercises: Record<string, HiddenCaseJson[]> = {};
  const examples: Record<string, HiddenCaseJson> = {};
  for (const c of courses) {
    for (const e of c.exercises) {
      exercises[e.id] = [];
      const first = e.exercise.cases()[0];
      if (first) examples[e.id] = { label: first.label ?? "case 1", args: encodeValue(first.args) as unknown[], expected: encodeValue(first.expected) };
      for (const a of first?.args ?? []) {
        const t = a as { dispose?: () => void; isDisposed?: boolean };
        if (t && typeof t === "object" && typeof t.dispose === "function" && t.isDisposed === false) t.dispose();
      }
    }
  }
  return {
    format: HIDDEN_FORMAT,
    about:
      "Private test cases for npm run grade -- <submissions> --hidden THIS_FILE. Add cases to an exercise's list under \"exercises\", in the shape of its entry under \"examples\" (a visible case of the course, for the format only: it is not graded twice). Keep this file out of the students' reach.",
    exercises,
    examples,
  };
}
