/**
 * The grader's pieces without a kernel: student versions, course checks, hidden tests,
 * restoring submissions, the value wire format, the code sent to kernels, and the report.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { setupBackend } from "../lib/backend";
import { courseNotebookFiles, courseNotebookFrom, CourseError, evaluateExtraCases, readCourseNotebook } from "../lib/tools/grader/course";
import { gradingCells, prepareNotebook } from "../lib/tools/grader/grade";
import { cellNames, hasSetupTags, planCells, setupCellIds, untaggedNeeds } from "../lib/tools/grader/plan";
import { exerciseCode, NONCE, setupCode } from "../lib/tools/grader/kernelcode";
import { Cell, cellSource, gradeId, Notebook, notebookText, parseNotebook, UnreadableNotebook } from "../lib/tools/grader/notebook";
import { csvField, csvText, feedbackName, feedbackText, NotebookGrade, rows } from "../lib/tools/grader/report";
import { restoreSubmission } from "../lib/tools/grader/restore";
import { makeStudentNotebook, stripHiddenTests, stripSolutions } from "../lib/tools/grader/student";
import { decodeValue, encodeValue } from "../lib/tools/grader/wire";
import { HIDDEN_FORMAT, hiddenTestsTemplate, loadHiddenTests } from "../lib/tools/grader/hidden";
import { classReportHtml, classSummary } from "../lib/tools/grader/classReport";
import * as os from "os";
import { notebooksDir } from "../lib/tools/paths";

beforeAll(async () => {
  await setupBackend({ verbose: false });
});

const nbg = (id: string, kind: "solution" | "check", points = 1): Cell["metadata"] => ({
  nbgrader:
    kind === "solution"
      ? { grade: false, grade_id: id, locked: false, solution: true, points: 0, schema_version: 3 }
      : { grade: true, grade_id: `${id}-check`, locked: true, solution: false, points, schema_version: 3 },
});
const cell = (source: string, metadata: Cell["metadata"] = {}, type = "code"): Cell =>
  type === "code" ? { cell_type: type, metadata, source, outputs: [], execution_count: null } : { cell_type: type, metadata, source };
const notebook = (cells: Cell[]): Notebook => ({ cells, metadata: { kernelspec: { name: "tiny-llm-ts" } }, nbformat: 4, nbformat_minor: 5 });

const SOLUTION = `function blockParams(d: number): number {
  // BEGIN SOLUTION
  const attention = 4 * d * d + 4 * d;
  return attention + 8 * d * d + 9 * d;
  // END SOLUTION
}`;
const CHECK_HIDDEN = `await check("00-block-params", blockParams, {
  cases: [
    { label: "visible extra", args: [1], expected: 25 },
    // BEGIN HIDDEN TESTS
    { label: "secret", args: [3], expected: 147 },
    { args: [Number(tf.scalar(5).dataSync()[0])], expected: 365 },
    // END HIDDEN TESTS
  ],
});`;

function courseWithHidden(): Notebook {
  return notebook([
    cell("# Exercises", {}, "markdown"),
    cell(`import * as tf from "@tensorflow/tfjs";\nimport { check } from "./lib/notebook";`),
    cell(SOLUTION, nbg("00-block-params", "solution")),
    cell(CHECK_HIDDEN, nbg("00-block-params", "check", 1)),
  ]);
}

describe("student versions", () => {
  it("replace the solution with a stub at the same indentation and keep the signature", () => {
    const out = stripSolutions(SOLUTION, "00-block-params");
    expect(out).toBe(`function blockParams(d: number): number {
  // Your code here.
  throw new Error("Exercise 00-block-params: not implemented yet");
}`);
  });

  it("remove hidden tests, clear outputs, keep metadata", () => {
    const course = courseWithHidden();
    course.cells[3].outputs = [{ output_type: "stream", name: "stdout", text: "x" }];
    course.cells[3].execution_count = 7;
    const student = makeStudentNotebook(course, "00-test");
    const text = notebookText(student);
    expect(text).not.toMatch(/HIDDEN|secret|147|365|BEGIN SOLUTION|attention/);
    expect(text).toContain("visible extra");
    expect(student.cells[3].outputs).toEqual([]);
    expect(student.cells[3].execution_count).toBeNull();
    expect(student.cells[2].metadata).toEqual(course.cells[2].metadata);
    expect(stripHiddenTests("a\n  // BEGIN HIDDEN TESTS\n  x\n  // END HIDDEN TESTS\nb")).toBe("a\nb");
  });

  it("refuse inconsistent course notebooks with a message that names the fix", () => {
    expect(() => stripSolutions("// BEGIN SOLUTION\nx\n// END SOLUTION", "id")).toThrow(/inside a function body/);
    expect(() => stripSolutions("  // BEGIN SOLUTION\nx", "id")).toThrow(/has no END/);
    const noMeta = notebook([cell(SOLUTION)]);
    expect(() => makeStudentNotebook(noMeta)).toThrow(/not an nbgrader solution cell/);
    const badPoints = courseWithHidden();
    badPoints.cells[3].metadata.nbgrader!.points = 5;
    expect(() => makeStudentNotebook(badPoints)).toThrow(/points.*5.*lib\/exercises defines 00-block-params with points: 1/);
    const unknown = notebook([cell(SOLUTION.replace(/BEGIN/, "BEGIN"), nbg("00-nope", "solution")), cell(`await check("00-nope", blockParams);`, nbg("00-nope", "check"))]);
    expect(() => makeStudentNotebook(unknown)).toThrow(CourseError);
    const noCheck = notebook([cell(SOLUTION, nbg("00-block-params", "solution"))]);
    expect(() => makeStudentNotebook(noCheck)).toThrow(/has no check cell/);
  });

  it("can be made for every course notebook (each is consistent with lib/exercises)", () => {
    const files = courseNotebookFiles(notebooksDir());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const course = readCourseNotebook(f);
      const student = makeStudentNotebook(course.notebook, course.name);
      for (const e of course.exercises) {
        expect(cellSource(student.cells[e.solutionCellIndex])).toContain(`Exercise ${e.id}: not implemented yet`);
      }
    }
  });
});

describe("course notebooks", () => {
  it("give each exercise's function, points and hidden tests, evaluated in the grader", () => {
    const course = courseNotebookFrom("00-test", path.join(notebooksDir(), "00-test.ipynb"), courseWithHidden());
    expect(course.exercises).toHaveLength(1);
    const e = course.exercises[0];
    expect(e.fnExpr).toBe("blockParams");
    expect(e.points).toBe(1);
    expect(e.extraCaseHidden).toEqual([false, true, true]);
    const cases = evaluateExtraCases(course, e);
    expect(cases.map((c) => c.expected)).toEqual([25, 147, 365]);
    expect(cases[2].args).toEqual([5]); // computed with tf, imported by the notebook
  });

  it("prepare hidden cases with hidden labels and inputs, and send no expected value to kernels", () => {
    const course = courseNotebookFrom("00-test", path.join(notebooksDir(), "00-test.ipynb"), courseWithHidden());
    const p = prepareNotebook(course);
    const ex = p.exercises[0];
    const visible = ex.course.exercise.cases().length;
    expect(ex.hidden).toEqual([...Array(visible).fill(false), false, true, true]);
    expect(ex.cases.slice(-2).map((c) => c.label)).toEqual(["hidden test 1", "hidden test 2"]);
    expect(ex.inputs.slice(-2)).toEqual(["(hidden)", "(hidden)"]);
    const sent = setupCode() + exerciseCode(ex.course.id, 0, ex.course.fnExpr, ex.argsList) + notebookText(p.student);
    expect(sent).not.toMatch(/\b147\b|\b365\b|secret|HIDDEN/);
    expect(sent).toContain(NONCE);
  });
});

describe("hidden tests in a private file (--hidden)", () => {
  const course = () => courseNotebookFrom("00-test", path.join(notebooksDir(), "00-test.ipynb"), courseWithHidden());
  const write = (data: unknown): string => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-hidden-")), "hidden.json");
    fs.writeFileSync(f, typeof data === "string" ? data : JSON.stringify(data));
    return f;
  };

  it("add their cases to the exercise as hidden tests, after the notebook's own", () => {
    const file = write({ format: HIDDEN_FORMAT, exercises: { "00-block-params": [{ label: "private", args: [7], expected: 12 * 49 + 13 * 7 }, { args: [{ $: "number", value: "NaN" }], expected: 1 }] } });
    const c = course();
    const tests = loadHiddenTests(file, [c]);
    expect(tests.get("00-block-params")!.map((t) => t.args)).toEqual([[7], [NaN]]);
    const p = prepareNotebook(c, tests);
    const ex = p.exercises[0];
    const visible = ex.course.exercise.cases().length;
    expect(ex.hidden).toEqual([...Array(visible).fill(false), false, true, true, true, true]);
    expect(ex.cases.slice(-2).map((t) => t.label)).toEqual(["hidden test 3", "hidden test 4"]);
    expect(ex.inputs.slice(-2)).toEqual(["(hidden)", "(hidden)"]);
    expect(ex.cases[ex.cases.length - 2].expected).toBe(12 * 49 + 13 * 7);
    // nothing of them is in what a kernel receives but the arguments
    const sent = notebookText(p.student);
    expect(sent).not.toContain(String(12 * 49 + 13 * 7));
  });

  it("name the fix when the file is wrong", () => {
    const c = [course()];
    expect(() => loadHiddenTests("/nonexistent/hidden.json", c)).toThrow(/cannot read it .*--hidden-template/);
    expect(() => loadHiddenTests(write("{ not json"), c)).toThrow(/not valid JSON/);
    expect(() => loadHiddenTests(write({ exercises: {} }), c)).toThrow(new RegExp(`"format" must be "${HIDDEN_FORMAT}"`));
    expect(() => loadHiddenTests(write({ format: HIDDEN_FORMAT, exercises: { "00-blok-params": [] } }), c)).toThrow(/no exercise "00-blok-params".*chapter 00 has 00-block-params/);
    expect(() => loadHiddenTests(write({ format: HIDDEN_FORMAT, exercises: { "00-block-params": [{ args: 7, expected: 1 }] } }), c)).toThrow(/case 1: "args" must be the list of arguments/);
    expect(() => loadHiddenTests(write({ format: HIDDEN_FORMAT, exercises: { "00-block-params": [{ args: [7] }] } }), c)).toThrow(/"expected" is missing/);
    expect(() => loadHiddenTests(write({ format: HIDDEN_FORMAT, exercises: { "00-block-params": [{ args: [{ $: "bogus" }], expected: 1 }] } }), c)).toThrow(/case 1:/);
  });

  it("the template lists every exercise of the course with an example case, and loads as it is", () => {
    const courses = courseNotebookFiles(notebooksDir()).map(readCourseNotebook);
    const before = tf.memory().numTensors;
    const t = hiddenTestsTemplate(courses);
    expect(tf.memory().numTensors).toBe(before);
    const ids = courses.flatMap((c) => c.exercises.map((e) => e.id));
    expect(Object.keys(t.exercises).sort()).toEqual([...ids].sort());
    expect(Object.keys(t.examples ?? {}).length).toBe(ids.length);
    const loaded = loadHiddenTests(write(t), courses);
    expect([...loaded.values()].every((cases) => cases.length === 0)).toBe(true);
    // an example moved into "exercises" is a valid case
    const moved = { ...t, exercises: { ...t.exercises, [ids[0]]: [t.examples![ids[0]]] } };
    expect(loadHiddenTests(write(moved), courses).get(ids[0])).toHaveLength(1);
  });
});

describe("the class report", () => {
  const ex = (id: string, status: string, failing?: string) => ({ id, title: id, points: status === "passed" ? 1 : 0, maxPoints: 1, status, message: "", cases: failing ? [{ label: failing, hidden: false, passed: false }] : [] });
  const nb = (student: string, exercises: ReturnType<typeof ex>[], faults: NotebookGrade["faults"] = []): NotebookGrade =>
    ({ student, notebook: "00-x", file: "00-x.ipynb", status: "graded", message: "", points: exercises.filter((e) => e.status === "passed").length, maxPoints: exercises.length, exercises, cellErrors: [], faults, restored: null }) as unknown as NotebookGrade;
  const grades = [
    nb("ann", [ex("00-a", "passed"), ex("00-b", "failed", "case 2")]),
    nb("bob", [ex("00-a", "failed", "case 1"), ex("00-b", "failed", "case 2")]),
    nb("cy", [ex("00-a", "timeout"), ex("00-b", "passed")], [{ cell: 7, exercise: "00-a", status: "timeout", message: "cell 7 did not finish" }]),
  ];

  it("counts scores, pass rates, the most common failing case (a fault by its status) and the faults", () => {
    const s = classSummary(grades);
    expect(s.notebooks[0].scores).toEqual([{ student: "ann", percent: 50 }, { student: "bob", percent: 0 }, { student: "cy", percent: 50 }]);
    expect(s.exercises.map((e) => [e.id, e.passed, e.submitted, e.topFailure])).toEqual([
      ["00-a", 1, 3, { label: "(timeout)", count: 1 }],
      ["00-b", 1, 3, { label: "case 2", count: 2 }],
    ]);
    expect(s.faults).toEqual([{ student: "cy", notebook: "00-x", exercise: "00-a", where: "cell 7", status: "timeout", message: "cell 7 did not finish" }]);
  });

  it("is one page with plotly inlined once, escaped text and the same bytes for the same grades", () => {
    const evil = [nb("<script>alert(1)</script>", [ex("00-a", "failed", "</script><b>")])];
    const html = classReportHtml(evil, "/* plotly */");
    expect(html.match(/\/\* plotly \*\//g)).toHaveLength(1);
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toMatch(/<\/script><b>/);
    expect(classReportHtml(grades, "")).toBe(classReportHtml(grades, ""));
  });
});

describe("restoring a submission", () => {
  const course = courseWithHidden();
  const student = makeStudentNotebook(course, "00-test");
  const learner = SOLUTION.replace(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/, "return 12 * d * d + 13 * d;");

  it("puts back the course's check cell (without hidden tests) whatever was done to it", () => {
    const sub = makeStudentNotebook(course, "00-test");
    sub.cells[2].source = learner;
    sub.cells[3] = { ...cell(`console.log("✔ all pass")`, nbg("00-block-params", "check")), cell_type: "markdown" };
    sub.cells.push(JSON.parse(JSON.stringify(student.cells[3])) as Cell);
    const { notebook: out, report } = restoreSubmission(sub, student);
    expect(out.cells.map((c) => gradeId(c) ?? "")).toEqual(["", "", "00-block-params", "00-block-params-check"]);
    expect(out.cells[3].cell_type).toBe("code");
    expect(cellSource(out.cells[3])).toBe(cellSource(student.cells[3]));
    expect(cellSource(out.cells[3])).not.toContain("147");
    expect(cellSource(out.cells[2])).toBe(learner);
    expect(report.edited).toEqual(["00-block-params-check"]);
    expect(report.droppedDuplicates).toEqual(["00-block-params-check"]);
  });

  it("reinserts a deleted check cell after its solution, and a deleted solution as the stub", () => {
    const sub = makeStudentNotebook(course, "00-test");
    sub.cells.splice(2, 2); // solution and check gone
    const { notebook: out, report } = restoreSubmission(sub, student, { "00-block-params": "blockParams" });
    expect(out.cells.map((c) => gradeId(c) ?? "")).toEqual(["", "", "00-block-params", "00-block-params-check"]);
    expect(cellSource(out.cells[2])).toContain("not implemented yet");
    expect(report.reinserted).toEqual(["00-block-params", "00-block-params-check"]);
  });

  it("keeps a solution moved to an untagged cell, and strips nbgrader metadata the course does not have", () => {
    const sub = makeStudentNotebook(course, "00-test");
    sub.cells.splice(2, 1);
    sub.cells.splice(1, 0, cell(learner, { nbgrader: { grade: true, locked: true, grade_id: "00-fake-check", points: 100 } }));
    const { notebook: out } = restoreSubmission(sub, student, { "00-block-params": "blockParams" });
    expect(out.cells.filter((c) => cellSource(c).includes("not implemented"))).toHaveLength(0);
    expect(out.cells.some((c) => gradeId(c) === "00-fake-check")).toBe(false);
  });
});

describe("reading notebooks", () => {
  it("turns damaged files into UnreadableNotebook with the reason", () => {
    expect(() => parseNotebook('{"cells": [')).toThrow(/not valid JSON/);
    expect(() => parseNotebook("[1]")).toThrow(UnreadableNotebook);
    expect(() => parseNotebook('{"nbformat": 3, "cells": []}')).toThrow(/format 4/);
    expect(() => parseNotebook('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}')).toThrow(/source is not text/);
    expect(parseNotebook(notebookText(courseWithHidden())).cells).toHaveLength(4);
  });
});

describe("the wire format", () => {
  it("round-trips what JSON loses", () => {
    const value = {
      nums: [NaN, Infinity, -Infinity, -0, 1.5],
      u: undefined,
      m: new Map<unknown, unknown>([["a", 1], [2, [3]]]),
      s: new Set([1, "x"]),
      f32: new Float32Array([1.5, NaN]),
      i32: new Int32Array([1, -2]),
      big: 12345678901234567890n,
      dollar: { $: "tensor", values: [1] },
      date: new Date(0),
    };
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value;
    expect(back.nums.map((n) => Object.is(n, -0) ? "-0" : String(n))).toEqual(["NaN", "Infinity", "-Infinity", "-0", "1.5"]);
    expect("u" in back && back.u === undefined).toBe(true);
    expect(back.m).toEqual(value.m);
    expect(back.s).toEqual(value.s);
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(Array.from(back.f32)).toEqual([1.5, NaN]);
    expect(back.i32).toBeInstanceOf(Int32Array);
    expect(back.big).toBe(value.big);
    expect(back.dollar).toEqual({ $: "tensor", values: [1] });
    expect(back.date.getTime()).toBe(0);
  });

  it("carries tensors to kernels, and refuses them in answers", () => {
    const t = tf.tensor2d([[1, 2], [3, NaN]]);
    const wire = JSON.parse(JSON.stringify(encodeValue([t]))) as unknown;
    const [back] = decodeValue(wire, { tensors: true }) as tf.Tensor[];
    expect(back.shape).toEqual([2, 2]);
    expect(back.dtype).toBe("float32");
    expect(Array.from(back.dataSync())).toEqual([1, 2, 3, NaN]);
    expect(() => decodeValue(wire)).toThrow(/tensor/);
    tf.dispose([t, back]);
  });

  it("never lets a key become a prototype, and rejects malformed tags", () => {
    const back = decodeValue(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(back).sort()).toEqual(["__proto__", "a"]);
    expect(() => decodeValue({ $: "bigint", value: "1e9" })).toThrow();
    expect(() => decodeValue({ $: "eval", value: "x" })).toThrow(/unknown tag/);
    expect(() => encodeValue([() => 1])).toThrow(/function/);
    expect(encodeValue([() => 1], true)).toEqual([{ $: "unsupported", what: "a function (anonymous)" }]);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(encodeValue(cyclic, true)).toEqual([{ $: "unsupported", what: "a value that contains itself" }]);
  });
});

describe("the report", () => {
  const grade = (student: string, status: NotebookGrade["status"], points: number): NotebookGrade => ({
    student,
    notebook: "00-introduction",
    file: "00-introduction.ipynb",
    status,
    message: "",
    points,
    maxPoints: 1,
    cellErrors: [],
    faults: [],
    restored: null,
    exercises: [
      {
        id: "00-block-params",
        title: "Parameters",
        points,
        maxPoints: 1,
        status: points ? "passed" : "failed",
        message: points ? "all 2 cases pass" : "1/2 cases pass; hidden test 1 failed",
        cases: [
          { label: "d = 2", hidden: false, passed: true, input: "2", expected: "74", got: "74" },
          { label: "hidden test 1", hidden: true, passed: !!points },
        ],
      },
    ],
  });

  it("sorts rows and defuses spreadsheet formulas", () => {
    const list = rows([grade("zoe", "graded", 1), grade("=cmd|' /C calc'!A0", "graded", 0), grade("amy", "graded", 0)]);
    expect(list.map((r) => r.student)).toEqual(["=cmd|' /C calc'!A0", "amy", "zoe"]);
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField("two\nlines")).toBe("two lines");
    expect(csvText(list).split("\n")[1].startsWith("'=cmd")).toBe(true);
  });

  it("gives safe feedback file names and keeps hidden tests hidden", () => {
    expect(feedbackName("../../etc/passwd")).toBe("__.._etc_passwd.md");
    expect(feedbackName("김민수")).toBe("김민수.md");
    const text = feedbackText("amy", [grade("amy", "graded", 0)]);
    expect(text).toContain("hidden test 1 failed");
    expect(text).toContain("Total: 0 / 1 points");
  });
});

describe("files of the grader", () => {
  it("ship the Python helpers next to the TypeScript", () => {
    for (const f of ["run_submission.py", "launch_kernel.py"]) expect(fs.existsSync(path.join(__dirname, "..", "lib", "tools", "grader", f))).toBe(true);
  });
});

describe("fast grading: which cells the grader runs (plan.ts)", () => {
  const setup = (source: string, id: string): Cell => ({ ...cell(source), id, metadata: { tags: ["setup"] } });
  const course = (): Notebook =>
    notebook([
      cell("# Chapter", {}, "markdown"),
      setup(`import { setupBackend } from "./lib/backend";\nawait setupBackend();`, "s1"),
      cell(`import { check } from "./lib/notebook";`),
      { ...cell(`const model = trainForMinutes();\nconst tok = 3;`), id: "e1" },
      cell(SOLUTION, nbg("00-block-params", "solution")),
      cell(`await check("00-block-params", blockParams);`, nbg("00-block-params", "check")),
      cell(`showPlot(model);`),
    ]);

  it("reads a cell's top-level declarations and the names it uses, not its locals or property names", () => {
    const n = cellNames(`import * as tf from "x";\nimport { a, b as c } from "y";\nconst { d, e: [f] } = g;\nfunction h(p: Q): R { const local = p.prop; return local + i; }\ninterface S { field: T }\nconst o = { key: j, k };`);
    expect([...n.declares].sort()).toEqual(["a", "c", "d", "f", "h", "o", "S", "tf"].sort());
    expect([...n.uses].sort()).toEqual(["Q", "R", "T", "g", "i", "j", "k"].sort());
  });

  it("runs the setup cells and solution cells only: no experiment, no check cell", () => {
    const plan = planCells(course());
    expect(plan.map((p) => [p.index, p.reason])).toEqual([
      [1, "setup"],
      [4, "exercise"],
    ]);
    expect(untaggedNeeds(course(), "00-test")).toEqual([]);
  });

  it("pulls in a cell that declares what a chosen cell uses, and says which tag the course is missing", () => {
    const nb = course();
    nb.cells[4] = cell(SOLUTION.replace("return attention", "return tok * 0 + attention"), nbg("00-block-params", "solution"));
    const plan = planCells(nb);
    expect(plan.map((p) => p.index)).toEqual([1, 3, 4]);
    expect(plan[1]).toMatchObject({ reason: "needed", names: ["tok"], neededBy: 4 });
    expect(untaggedNeeds(nb, "00-test")).toEqual([`00-test, cell 4 (const model = trainForMinutes();): declares tok, used by cell 5 — add "tags": ["setup"] to its metadata`]);
  });

  it("runs a learner's own helper cell the solution uses, and skips cells nothing uses", () => {
    const nb = course();
    nb.cells.splice(4, 0, cell("function helper(d: number): number { return 12 * d * d + 13 * d; }"), cell("while (true) {}"));
    nb.cells[6] = cell(SOLUTION.replace(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/, "// BEGIN SOLUTION\n  return helper(d);\n  // END SOLUTION"), nbg("00-block-params", "solution"));
    expect(planCells(nb).map((p) => [p.index, p.reason])).toEqual([
      [1, "setup"],
      [4, "needed"],
      [6, "exercise"],
    ]);
  });

  it("finds a setup cell by the course's cell id when a learner's copy lost the tag", () => {
    const nb = course();
    nb.cells[1] = { ...nb.cells[1], metadata: {} };
    expect(planCells(nb).map((p) => p.index)).toEqual([4]);
    expect(planCells(nb, setupCellIds(course())).map((p) => p.index)).toEqual([1, 4]);
    expect(hasSetupTags(nb)).toBe(false);
  });

  it("grades a notebook that tags no setup cell by running every code cell except check cells", () => {
    const nb = course();
    nb.cells[1] = { ...nb.cells[1], metadata: {} };
    const prepared = prepareNotebook(courseNotebookFrom("00-test", "00-test.ipynb", nb));
    expect(prepared.setupIds).toBeNull();
    expect(gradingCells(nb, prepared).map((c) => [c.index, c.exercise])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [4, "00-block-params"],
      [6, null],
    ]);
  });
});
