/**
 * Grade a folder of submissions (one folder per student) against the course's notebooks.
 *
 * For each student × notebook, one at a time:
 *   1. read the file (a symlink, non-JSON or non-notebook file is "unreadable");
 *   2. restore it from the course's student version (restore.ts);
 *   3. run the cells the exercises need (plan.ts: the setup-tagged cells, the exercise cells and
 *      cells that declare what those use — not the experiments) in a fresh sandboxed kernel in
 *      its own temporary folder (run_submission.py), each cell and each exercise's answers
 *      with a wall-clock limit, the kernel with a memory limit, and collect the learner
 *      functions' answers to the cases through the grader's own requests. A cell or an answer
 *      that hangs, crashes or runs out of memory costs that step only: the driver replaces
 *      the kernel, reruns what ran before and goes on (a fault, reported with its cell);
 *   4. score those answers HERE against the course's exercise definitions and hidden tests
 *      (scoreAnswers), so nothing a submission prints or computes can fake a pass;
 *   5. delete the folder, and check that the course's lib/, notebooks/ and datasets/ are
 *      byte-for-byte unchanged (throws CourseModified otherwise).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setupBackend } from "../../backend";
import { kernelSpec } from "../cli/kernel";
import { Answer, scoreAnswers } from "../../exercises/check";
import { preview } from "../../exercises/compare";
import { ExerciseCase } from "../../exercises/types";
import { CourseError, CourseExercise, CourseNotebook, courseNotebookFiles, evaluateExtraCases, readCourseNotebook } from "./course";
import { exerciseCode, setupCode } from "./kernelcode";
import { cellSource, gradeId, MAX_NOTEBOOK_BYTES, Notebook, parseNotebook, UnreadableNotebook } from "./notebook";
import { hasSetupTags, isCheckCell, planCells, setupCellIds } from "./plan";
import { CaseReport, ExerciseGrade, Fault, NotebookGrade, RowStatus } from "./report";
import { restoreSubmission } from "./restore";
import { compileLibForKernels } from "./compiled";
import { courseFingerprint, describeProtections, makeWorkDir, probeProtections, Protections, removeTree } from "./sandbox";
import { makeStudentNotebook } from "./student";
import { decodeValue, encodeValue } from "./wire";
import { HiddenTests, loadHiddenTests } from "./hidden";

export class CourseModified extends Error {}
/** A problem with how the grader was called (folder, options, kernel user); the message says what to do. */
export class GradeError extends Error {}
/** No sandbox is possible here and --unsandboxed was not given. */
export class SandboxUnavailable extends GradeError {}

export interface GradeOptions {
  /** The course checkout (notebooks/, lib/, node_modules/). */
  root: string;
  submissions: string;
  /** Wall-clock seconds per cell and per exercise's answers (a step past it is a fault of that step). */
  timeout: number;
  /** Wall-clock seconds for the whole notebook, restarts after faults included (default 600). */
  notebookTimeout?: number;
  /** Memory limit per kernel in MB (RLIMIT_DATA; the JS heap gets 3/4 of it). */
  memoryMb: number;
  /** Course notebooks every student must submit (default: every notebook anyone submitted). */
  notebooks?: string[];
  /** Kernel user when the grader runs as root (default "nobody"). */
  user?: string | null;
  /** Python with jupyter_client. */
  python: string;
  /** Run the kernels on lib/ compiled to JavaScript + declarations (compiled.ts; default true, much faster). */
  compiledLib?: boolean;
  /** Submissions graded at the same time (default 1). */
  jobs?: number;
  /** Grade even when kernels cannot be sandboxed at all (not root, no Landlock). */
  unsandboxed?: boolean;
  /** A teacher's private hidden-tests file (hidden.ts), added to the course's cases. */
  hiddenTests?: string;
  log?: (line: string) => void;
}

interface PreparedExercise {
  course: CourseExercise;
  cases: ExerciseCase[];
  hidden: boolean[];
  inputs: string[];
  argsList: unknown[][];
}

interface PreparedNotebook {
  course: CourseNotebook;
  student: Notebook;
  exercises: PreparedExercise[];
  /** Cell ids of the course's setup cells; null when the notebook tags none (then every code cell runs). */
  setupIds: Set<string> | null;
}

interface Submission {
  student: string;
  notebook: string;
  /** Absolute path, or null when the student did not submit it. */
  file: string | null;
  /** Relative to the student's folder. */
  rel: string | null;
  note?: string;
}

const STARTUP_TIMEOUT = 60;
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const HERE = __dirname;

/** Evaluate the course side of a notebook once: cases, expected values, hidden flags, encoded arguments. */
export function prepareNotebook(course: CourseNotebook, privateTests: HiddenTests = new Map()): PreparedNotebook {
  const student = makeStudentNotebook(course.notebook, course.name);
  const exercises = course.exercises.map((ex): PreparedExercise => {
    const base = ex.exercise.cases();
    const extra = evaluateExtraCases(course, ex);
    const outside = privateTests.get(ex.id) ?? [];
    const cases = [...base, ...extra, ...outside];
    const hidden = [...base.map(() => false), ...ex.extraCaseHidden, ...outside.map(() => true)];
    let k = 0;
    const labelled = cases.map((c, i) => (hidden[i] ? { ...c, label: `hidden test ${++k}` } : c));
    const inputs = labelled.map((c, i) => (hidden[i] ? "(hidden)" : c.args.map((a) => preview(a, 80)).join(", ")));
    const argsList = labelled.map((c) => c.args);
    encodeValue(argsList); // fail now, with the course's name in the message, if an argument cannot travel
    return { course: ex, cases: labelled, hidden, inputs, argsList };
  });
  return { course, student, exercises, setupIds: hasSetupTags(course.notebook) ? setupCellIds(course.notebook) : null };
}

/** The cells of a restored submission the grader runs, each with the exercise it belongs to. */
export function gradingCells(restored: Notebook, prepared: PreparedNotebook): { index: number; source: string; exercise: string | null }[] {
  const indices = prepared.setupIds
    ? planCells(restored, prepared.setupIds).map((p) => p.index)
    : restored.cells
        .map((c, index) => ({ c, index }))
        .filter(({ c }) => c.cell_type === "code" && cellSource(c).trim() !== "" && !isCheckCell(c))
        .map(({ index }) => index);
  return indices.map((index) => {
    const c = restored.cells[index];
    const id = gradeId(c);
    const exercise = id ? prepared.exercises.find((p) => p.course.id === id || `${p.course.id}-check` === id)?.course.id ?? null : null;
    return { index, source: cellSource(c), exercise };
  });
}

// ------------------------------------------------------------------ finding submissions --

function isDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function notebookFiles(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith(".")) continue; // .ipynb_checkpoints, .git …
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...notebookFiles(p, depth + 1));
    else if (e.name.endsWith(".ipynb") && (e.isFile() || e.isSymbolicLink())) out.push(p);
  }
  return out;
}

/** Which course notebook a file is: by exact name, by "NN-" prefix, or by the grade ids inside. */
function matchNotebook(file: string, courses: CourseNotebook[]): string | null {
  const base = path.basename(file, ".ipynb");
  const exact = courses.find((c) => c.name === base);
  if (exact) return exact.name;
  const prefix = courses.filter((c) => base.startsWith(c.name.slice(0, 3)));
  if (prefix.length === 1) return prefix[0].name;
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_NOTEBOOK_BYTES) return null;
    const nb = parseNotebook(fs.readFileSync(file, "utf8"));
    const ids = new Set(nb.cells.map(gradeId).filter((x): x is string => !!x));
    let best: string | null = null;
    let bestCount = 0;
    for (const c of courses) {
      const n = c.notebook.cells.map(gradeId).filter((x) => x && ids.has(x)).length;
      if (n > bestCount) {
        best = c.name;
        bestCount = n;
      }
    }
    return best;
  } catch {
    return null;
  }
}

export function findSubmissions(dir: string, courses: CourseNotebook[], expected: string[] | undefined, log: (l: string) => void): Submission[] {
  if (!isDir(dir)) throw new GradeError(`${dir} is not a folder. Put each student's notebooks in a folder named after the student: ${dir}/<student>/NN-name.ipynb`);
  const found: Submission[] = [];
  const unknown: Submission[] = [];
  const students = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith("."))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of students) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) {
      log(`skipping ${e.name}: a symbolic link (copy the student's folder in instead)`);
      continue;
    }
    if (!e.isDirectory()) {
      if (e.name.endsWith(".ipynb")) log(`skipping ${e.name}: notebooks must be inside a folder named after the student (${dir}/<student>/${e.name})`);
      continue;
    }
    const byNotebook = new Map<string, string[]>();
    for (const f of notebookFiles(p)) {
      const nb = matchNotebook(f, courses);
      const rel = path.relative(p, f);
      if (!nb) {
        unknown.push({ student: e.name, notebook: path.basename(f, ".ipynb"), file: f, rel });
        continue;
      }
      byNotebook.set(nb, [...(byNotebook.get(nb) ?? []), f]);
    }
    for (const [nb, files] of byNotebook) {
      const exact = files.find((f) => path.basename(f) === `${nb}.ipynb`) ?? files[0];
      const others = files.filter((f) => f !== exact).map((f) => path.relative(p, f));
      found.push({ student: e.name, notebook: nb, file: exact, rel: path.relative(p, exact), note: others.length ? `also found ${others.join(", ")} (not graded)` : undefined });
    }
  }
  const studentNames = [...new Set(students.filter((e) => e.isDirectory() && !e.isSymbolicLink()).map((e) => e.name))];
  const wanted = expected ?? [...new Set(found.map((s) => s.notebook))].sort();
  const out: Submission[] = [...unknown];
  for (const student of studentNames) {
    for (const nb of wanted) {
      const s = found.find((x) => x.student === student && x.notebook === nb);
      out.push(s ?? { student, notebook: nb, file: null, rel: null });
    }
  }
  return out;
}

// ------------------------------------------------------------------ one submission -------

interface DriverFault {
  kind: "cell" | "request" | "setup";
  status: "timeout" | "crashed" | "out of memory";
  message: string;
  index?: number;
  key?: string;
  exercise?: string | null;
  again?: boolean;
}

interface DriverResult {
  status: "ok" | "timeout" | "crashed" | "out of memory" | "error";
  faults?: DriverFault[];
  kernels?: number;
  message: string;
  phase?: string;
  cellIndex: number | null;
  executed: number;
  cellErrors: { index: number; error: string }[];
  setupError: string | null;
  answers: Record<string, { payload?: string; error?: string }>;
  leftovers: number;
  seconds?: number;
}

function runDriver(python: string, job: string, result: string, env: NodeJS.ProcessEnv, limitSeconds: number): Promise<DriverResult> {
  return new Promise((resolve) => {
    const debug = !!process.env.TINY_LLM_GRADE_DEBUG;
    const child = spawn(python, [path.join(HERE, "run_submission.py"), job, result], { env, stdio: ["ignore", "ignore", debug ? "inherit" : "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 20000) stderr += d.toString();
    });
    // Backstop: the driver enforces the limits itself; if it hangs, stop it (it cleans up on SIGTERM).
    const term = setTimeout(() => child.kill("SIGTERM"), limitSeconds * 1000);
    const kill = setTimeout(() => child.kill("SIGKILL"), (limitSeconds + 15) * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      try {
        resolve(JSON.parse(fs.readFileSync(result, "utf8")) as DriverResult);
      } catch {
        resolve({
          status: "error",
          message: `the grading driver exited with ${signal ?? code} and no result: ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
          cellIndex: null,
          executed: 0,
          cellErrors: [],
          setupError: null,
          answers: {},
          leftovers: 0,
          faults: [],
        });
      }
    });
  });
}

function caseReports(p: PreparedExercise, result: ReturnType<typeof scoreAnswers>): CaseReport[] {
  return result.cases.map((c, i) => {
    const hidden = p.hidden[i];
    const base: CaseReport = { label: c.label, hidden, passed: c.passed };
    if (hidden) return c.passed ? base : { ...base, error: c.error };
    return {
      ...base,
      input: c.input,
      expected: preview(c.expected),
      ...(c.error !== undefined ? { error: c.error } : { got: preview(c.got) }),
      ...(c.message && c.error === undefined ? { why: c.message } : {}),
    };
  });
}

function failureMessage(cases: CaseReport[]): string {
  const f = cases.find((c) => !c.passed);
  if (!f) return "";
  const ok = cases.filter((c) => c.passed).length;
  const head = `${ok}/${cases.length} cases pass`;
  if (f.hidden) return `${head}; ${f.label} failed${f.error ? `: ${f.error}` : ""}`;
  if (f.error !== undefined) return `${head}; ${f.label}: error: ${f.error}`;
  return `${head}; ${f.label}: ${f.why ?? `expected ${f.expected}, got ${f.got}`}`;
}

/** Decode one exercise's answers from the kernel; anything malformed is an error for every case. */
function answersFrom(entry: { payload?: string; error?: string } | undefined, n: number, fnExpr: string, solutionError: string | null): Answer[] {
  const all = (error: string): Answer[] => Array.from({ length: n }, () => ({ error }));
  if (!entry) return all("no answer was collected");
  if (entry.error !== undefined) return all(String(entry.error));
  let payload: unknown;
  try {
    payload = JSON.parse(String(entry.payload));
  } catch {
    return all("the kernel sent malformed answers");
  }
  const p = payload as { answers?: unknown; missing?: unknown; failed?: unknown };
  if (p && typeof p === "object" && typeof p.missing === "string") {
    const why = solutionError ? ` — its cell failed: ${solutionError}` : " (was its cell deleted or renamed?)";
    return all(`${fnExpr} is not a function in the notebook (${p.missing})${why}`);
  }
  if (p && typeof p === "object" && typeof p.failed === "string") return all(`the grader could not call ${fnExpr}: ${p.failed}`);
  let answers: unknown;
  try {
    answers = decodeValue(p?.answers);
  } catch (err) {
    return all(`the kernel sent malformed answers (${(err as Error).message})`);
  }
  if (!Array.isArray(answers) || answers.length !== n) return all("the kernel sent the wrong number of answers");
  return answers.map((a): Answer => {
    if (!a || typeof a !== "object") return { error: "malformed answer" };
    const rec = a as { got?: unknown; error?: unknown };
    if (Object.prototype.hasOwnProperty.call(rec, "error") && rec.error !== undefined) return { error: String(rec.error).slice(0, 2000) };
    return { got: rec.got };
  });
}

function notebookRow(s: Submission, prepared: PreparedNotebook | null, status: NotebookGrade["status"], message: string): NotebookGrade {
  const exercises: ExerciseGrade[] = (prepared?.exercises ?? []).map((p) => ({
    id: p.course.id,
    title: p.course.exercise.title,
    points: 0,
    maxPoints: p.course.points,
    status: status as RowStatus,
    message,
    cases: [],
  }));
  return {
    student: s.student,
    notebook: s.notebook,
    file: s.rel,
    status,
    message,
    points: 0,
    maxPoints: exercises.reduce((a, e) => a + e.maxPoints, 0),
    exercises,
    cellErrors: [],
    faults: [],
    restored: null,
  };
}

function sanitize(text: string, replace: [string, string][]): string {
  let t = text;
  for (const [a, b] of replace) if (a) t = t.split(a).join(b);
  return t;
}

export interface Grader {
  protections: Protections;
  gradeOne(s: Submission, prepared: PreparedNotebook): Promise<NotebookGrade>;
  close(): void;
}

export function makeGrader(opts: GradeOptions): Grader {
  const log = opts.log ?? (() => undefined);
  const launcher = path.join(HERE, "launch_kernel.py");
  const user = opts.user === undefined ? "nobody" : opts.user;
  let protections: Protections;
  try {
    protections = probeProtections(opts.python, launcher, user);
  } catch (err) {
    throw new GradeError((err as Error).message);
  }
  const nodeModules = fs.realpathSync(path.join(opts.root, "node_modules"));
  for (const line of describeProtections(protections)) log(line);
  const unprotected = !protections.landlock && !protections.user;
  if (unprotected && !opts.unsandboxed) {
    throw new SandboxUnavailable(
      "Cannot sandbox the kernels here: the grader is not root and this system has no Landlock, so a submission would run with all of your rights " +
        "(read and delete your files, use your network). Grade as root (e.g. in a Docker container: kernels then run as nobody), or on Linux 5.13+ with Landlock, " +
        "or accept the risk for submissions you trust with --unsandboxed.",
    );
  }
  const privRoot = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-grader-"));
  fs.chmodSync(privRoot, 0o700);
  let counter = 0;
  let fingerprint = courseFingerprint(opts.root, unprotected);
  let kernelLib: string | undefined;
  if (opts.compiledLib !== false) {
    const t0 = Date.now();
    try {
      kernelLib = compileLibForKernels(opts.root, path.join(privRoot, "compiled"));
      log(`compiled lib/ for the grading kernels in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      log(`could not compile lib/ for the kernels (${(err as Error).message}); grading with the TypeScript sources (slower)`);
    }
  }

  // Can the kernel user reach node and tslab at all?
  if (protections.user) {
    const probe = spawnCheck(opts.python, launcher, protections.user.name, [fs.realpathSync(kernelSpec(opts.root).argv[1]), os.tmpdir()]);
    if (probe) {
      removeTree(privRoot);
      throw new GradeError(`${probe}. The kernel user ${protections.user.name} must be able to read the course's node_modules: put the checkout where others can read it (e.g. chmod o+rx on its folders) or choose another user with --user NAME.`);
    }
    // Without Landlock, only file permissions keep kernels out of the other submissions and the hidden tests.
    if (!protections.landlock) {
      for (const [dir, what] of [
        [opts.submissions, "the other students' submissions"],
        [path.join(opts.root, "notebooks"), "the course notebooks (solutions and hidden tests)"],
      ]) {
        if (!spawnCheck(opts.python, launcher, protections.user.name, [dir])) {
          log(`WARNING: the kernel user ${protections.user.name} can read ${dir}, so every submission can read ${what}: chmod o-rwx ${dir} before grading`);
        }
      }
    }
  }

  const notebookTimeout = opts.notebookTimeout ?? 600;

  async function gradeOne(s: Submission, prepared: PreparedNotebook): Promise<NotebookGrade> {
    if (!s.file) return notebookRow(s, prepared, "missing", `no ${s.notebook}.ipynb in the student's folder`);
    let text: string;
    try {
      const st = fs.lstatSync(s.file);
      if (st.isSymbolicLink()) throw new UnreadableNotebook("it is a symbolic link, not a file");
      if (st.size > MAX_NOTEBOOK_BYTES) throw new UnreadableNotebook(`the file is larger than ${MAX_NOTEBOOK_BYTES / 1024 / 1024} MB`);
      text = fs.readFileSync(s.file, "utf8");
    } catch (err) {
      return notebookRow(s, prepared, "unreadable", err instanceof UnreadableNotebook ? err.message : `could not read the file: ${(err as Error).message}`);
    }
    let submitted: Notebook;
    try {
      submitted = parseNotebook(text);
    } catch (err) {
      return notebookRow(s, prepared, "unreadable", (err as Error).message);
    }
    const fnNames: Record<string, string> = {};
    for (const p of prepared.exercises) fnNames[p.course.id] = p.course.fnExpr;
    const { notebook: restored, report } = restoreSubmission(submitted, prepared.student, fnNames);

    const n = ++counter;
    const priv = path.join(privRoot, `job-${n}`);
    fs.mkdirSync(priv, { mode: 0o700 });
    const work = makeWorkDir(opts.root, protections, kernelLib);
    try {
      // tslab by its real path: the kernel user may not be allowed into the checkout's own folder.
      const spec = kernelSpec(opts.root);
      const heap = Math.max(256, Math.floor(opts.memoryMb * 0.75));
      const kernelArgv = [spec.argv[0], `--max-old-space-size=${heap}`, fs.realpathSync(spec.argv[1]), ...spec.argv.slice(2)];
      const argv = [
        opts.python,
        launcher,
        "--work",
        work,
        "--connection-file",
        "{connection_file}",
        "--data-mb",
        String(opts.memoryMb),
        "--cpu-seconds",
        String(Math.ceil(notebookTimeout * 2 + STARTUP_TIMEOUT + 60)),
        "--read",
        nodeModules,
        "--landlock",
        protections.landlock ? "require" : "off",
        ...(protections.user ? ["--user", protections.user.name] : []),
        "--",
        ...kernelArgv,
      ];
      const kdir = path.join(priv, "jupyter", "kernels", "tiny-llm-grade");
      fs.mkdirSync(kdir, { recursive: true });
      fs.writeFileSync(path.join(kdir, "kernel.json"), JSON.stringify({ argv, display_name: "tiny-llm grading", language: "typescript" }, null, 2));

      const cells = gradingCells(restored, prepared);
      const job = {
        kernelName: "tiny-llm-grade",
        cwd: work,
        env: {
          PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
          HOME: path.join(work, "home"),
          TMPDIR: path.join(work, "tmp"),
          LANG: "C.UTF-8",
          LC_ALL: "C.UTF-8",
          TZ: "UTC",
          // one thread per kernel: --jobs already puts a submission on each core
          TINY_LLM_THREADS: "1",
        },
        timeout: opts.timeout,
        totalTimeout: notebookTimeout,
        startupTimeout: STARTUP_TIMEOUT,
        cells,
        setup: setupCode(),
        requests: prepared.exercises.map((p, k) => ({ key: p.course.id, code: exerciseCode(p.course.id, k, p.course.fnExpr, p.argsList) })),
        maxAnswerBytes: MAX_ANSWER_BYTES,
        stderrFile: path.join(priv, "kernel.stderr"),
      };
      const jobFile = path.join(priv, "job.json");
      const resultFile = path.join(priv, "result.json");
      fs.writeFileSync(jobFile, JSON.stringify(job));
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        LANG: "C.UTF-8",
        HOME: priv,
        JUPYTER_PATH: path.join(priv, "jupyter"),
        JUPYTER_RUNTIME_DIR: path.join(priv, "runtime"),
        JUPYTER_CONFIG_DIR: path.join(priv, "config"),
        JUPYTER_DATA_DIR: path.join(priv, "data"),
        JUPYTER_PLATFORM_DIRS: "1",
        PYTHONDONTWRITEBYTECODE: "1",
        ...(process.env.TINY_LLM_GRADE_DEBUG ? { TINY_LLM_GRADE_DEBUG: "1" } : {}),
      };
      const r = await runDriver(opts.python, jobFile, resultFile, env, notebookTimeout + STARTUP_TIMEOUT * 2 + 120);
      if (r.leftovers > 0) log(`  ${s.student}/${s.notebook}: killed ${r.leftovers} leftover process${r.leftovers > 1 ? "es" : ""}`);
      const clean = (t: string): string => sanitize(String(t), [[work, "."], [privRoot, "<grader>"], [fs.realpathSync(opts.root), "<course>"]]);

      // Which cells failed (numbered as in the restored notebook, 1-based), and the solution cells' errors.
      const cellErrors = (Array.isArray(r.cellErrors) ? r.cellErrors : []).map((e) => ({ cell: e.index + 1, error: clean(e.error) }));
      const solutionError = (id: string): string | null => {
        const idx = restored.cells.findIndex((c) => gradeId(c) === id);
        const e = cellErrors.find((x) => x.cell === idx + 1);
        return e ? e.error : null;
      };
      const faults: Fault[] = (Array.isArray(r.faults) ? r.faults : []).map((f) => ({
        cell: typeof f.index === "number" ? f.index + 1 : null,
        exercise: f.exercise ?? null,
        status: f.status,
        message: clean(f.message),
      }));
      const exercises: ExerciseGrade[] = [];
      const status: NotebookGrade["status"] = r.status === "ok" ? "graded" : r.status;
      for (const p of prepared.exercises) {
        const entry = r.answers?.[p.course.id];
        const mine = faults.filter((f) => f.exercise === p.course.id);
        // A fault in the exercise's own cells or answers costs the exercise, unless its answers came back right anyway.
        const faulted = (why: string): ExerciseGrade => ({
          id: p.course.id,
          title: p.course.exercise.title,
          points: 0,
          maxPoints: p.course.points,
          status: mine[0].status,
          message: [...mine.map((f) => (f.cell ? f.message : `${p.course.fnExpr}: ${f.message}`)), why].filter(Boolean).join("; "),
          cases: [],
        });
        if (mine.length && (!entry || entry.error !== undefined)) {
          exercises.push(faulted(""));
          continue;
        }
        if (!entry && r.status !== "ok") {
          exercises.push({ id: p.course.id, title: p.course.exercise.title, points: 0, maxPoints: p.course.points, status: r.status as RowStatus, message: clean(r.message), cases: [] });
          continue;
        }
        const answers = answersFrom(entry, p.cases.length, p.course.fnExpr, solutionError(p.course.id)).map((a) => (a.error !== undefined ? { error: clean(a.error) } : a));
        const scored = scoreAnswers(p.course.exercise, p.cases, answers, p.inputs);
        const cases = caseReports(p, scored);
        if (mine.length && !scored.passed) {
          // The fault is the reason (a skipped solution cell leaves its function undefined).
          exercises.push({ ...faulted(""), cases });
          continue;
        }
        const points = scored.passed ? p.course.points : 0;
        exercises.push({
          id: p.course.id,
          title: p.course.exercise.title,
          points,
          maxPoints: p.course.points,
          status: scored.passed ? "passed" : "failed",
          message: scored.passed ? `all ${cases.length} cases pass` : failureMessage(cases),
          cases,
        });
      }
      // Faults outside the exercises' own cells (a setup cell, a helper cell) belong to the notebook.
      const others = faults.filter((f) => !f.exercise).map((f) => `${f.status}: ${f.message}`);
      const notes = [r.status === "ok" ? "" : clean(r.message), ...others, s.note ?? ""].filter(Boolean);
      return {
        student: s.student,
        notebook: s.notebook,
        file: s.rel,
        status,
        message: notes.join("; "),
        points: exercises.reduce((a, e) => a + e.points, 0),
        maxPoints: exercises.reduce((a, e) => a + e.maxPoints, 0),
        exercises,
        cellErrors,
        faults,
        restored: report,
      };
    } finally {
      removeTree(work);
      removeTree(priv);
      const now = courseFingerprint(opts.root, unprotected);
      if (now !== fingerprint) {
        fingerprint = now;
        throw new CourseModified(
          `The course's files (lib/, notebooks/, datasets/${unprotected ? " or node_modules/" : ""}) changed while grading ${s.student}/${s.rel} ` +
            `(by that submission, or by someone editing the course meanwhile). Grading stopped: check git status / git diff, restore the files, ` +
            `and grade untrusted notebooks as root or on a Linux kernel with Landlock.`,
        );
      }
    }
  }

  return {
    protections,
    gradeOne,
    close: () => removeTree(privRoot),
  };
}

/** null when `user` can read every path (and traverse to it), else why not. */
function spawnCheck(python: string, launcher: string, user: string, paths: string[]): string | null {
  const res = spawnSync(python, [launcher, "--probe-read", user, ...paths], { encoding: "utf8", timeout: 20_000 });
  if (res.status === 0) return null;
  return (res.stdout || res.stderr || `probe failed (${res.status})`).trim();
}

export interface GradeRun {
  grades: NotebookGrade[];
  protections: Protections;
  /** Ctrl-C: the grades are incomplete. */
  interrupted: boolean;
}

/** Grade every submission in opts.submissions. */
export async function gradeSubmissions(opts: GradeOptions): Promise<GradeRun> {
  const log = opts.log ?? (() => undefined);
  const files = courseNotebookFiles(path.join(opts.root, "notebooks"));
  if (files.length === 0) throw new CourseError(`no course notebooks in ${path.join(opts.root, "notebooks")}`);
  const courses = files.map(readCourseNotebook);
  let expected: string[] | undefined;
  if (opts.notebooks && opts.notebooks.length) {
    expected = opts.notebooks.map((n) => {
      const base = path.basename(n).replace(/\.ipynb$/, "");
      const hits = courses.filter((c) => c.name === base || c.name.startsWith(base));
      if (hits.length !== 1) throw new GradeError(`--notebooks ${n}: ${hits.length ? "matches several" : "no such course notebook"}. Course notebooks: ${courses.map((c) => c.name).join(", ")}`);
      return hits[0].name;
    });
  }
  const submissions = findSubmissions(opts.submissions, courses, expected, log);
  await setupBackend({ verbose: false });
  const privateTests = opts.hiddenTests ? loadHiddenTests(opts.hiddenTests, courses) : new Map();
  if (opts.hiddenTests) log(`hidden tests: ${[...privateTests.values()].reduce((n, c) => n + c.length, 0)} private cases for ${[...privateTests.values()].filter((c) => c.length).length} exercises from ${opts.hiddenTests}`);
  const prepared = new Map<string, PreparedNotebook>();
  const prepare = (name: string): PreparedNotebook => {
    let p = prepared.get(name);
    if (!p) {
      p = prepareNotebook(courses.find((c) => c.name === name) as CourseNotebook, privateTests);
      prepared.set(name, p);
    }
    return p;
  };

  const grader = makeGrader(opts);
  const grades: NotebookGrade[] = [];
  // Ctrl-C reaches the driver too (it stops its kernel); then stop instead of grading on.
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.on("SIGINT", onInterrupt);
  // `jobs` submissions at a time (each in its own kernel); results keep the submissions' order.
  const results: (NotebookGrade | undefined)[] = new Array(submissions.length);
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (!interrupted && failure === null && next < submissions.length) {
      const i = next++;
      const s = submissions[i];
      if (!courses.some((c) => c.name === s.notebook)) {
        results[i] = notebookRow(s, null, "unknown notebook", `${s.rel} is not one of the course's notebooks (${courses.map((c) => c.name + ".ipynb").join(", ")}); rename it to the course's name`);
        log(`${s.student}/${s.rel}: unknown notebook`);
        continue;
      }
      const t0 = Date.now();
      try {
        const g = await grader.gradeOne(s, prepare(s.notebook));
        results[i] = g;
        log(`${s.student}/${s.notebook}: ${g.status}, ${g.points}/${g.maxPoints} points (${((Date.now() - t0) / 1000).toFixed(1)} s)${g.message ? ` — ${g.message}` : ""}`);
      } catch (err) {
        failure = err;
      }
    }
  };
  try {
    const jobs = Math.max(1, Math.floor(opts.jobs ?? 1));
    await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, submissions.length)) }, worker));
    if (failure !== null) throw failure;
    for (const g of results) if (g) grades.push(g);
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    grader.close();
  }
  return { grades, protections: grader.protections, interrupted };
}
