/**
 * `npm run bench -- grade [--students=N] [--jobs=N] [--chapters=00,01,…] [--class=30]`
 *
 * How long grading takes: N students (default 2) hand in the reference notebook of every
 * chapter whose setup cells are tagged (fast grading: the grader runs only the setup and
 * exercise cells); the grader grades them all, `--jobs` at a time (default 2), in a snapshot
 * of the course, exactly as `npm run grade` does. Figures:
 *   - compile: seconds to compile lib/ for the kernels (once per grading run);
 *   - submission: seconds per submission per chapter (wall time of its kernel, including
 *     start-up, under the load of the other jobs), cells run of cells in the notebook;
 *   - class: the measured wall time scaled to a class of 30 × all those chapters, against
 *     the target of 15 minutes; and the CPU time the kernels and drivers used per submission,
 *     with what it gives on this machine's cores when nothing else runs on them
 *     (projectedMinutesIdle), beside the load average while measuring.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCourseNotebook } from "../grader/course";
import { gradeSubmissions } from "../grader/grade";
import { hasSetupTags, planCells } from "../grader/plan";
import { findPython } from "../cli/python";
import { courseNotebookFiles, repoRoot } from "../paths";
import { Emit, benchCount, benchOption } from "../cli/bench";

/** CPU seconds of this process's finished children (the drivers, and the kernels they reaped), from /proc. */
function childCpuSeconds(): number {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export async function bench(emit: Emit, args: string[]): Promise<void> {
  const root = repoRoot();
  const students = benchCount(args, "students", 2);
  const jobs = benchCount(args, "jobs", 2);
  const classSize = benchCount(args, "class", 30);
  const only = (benchOption(args, "chapters") ?? "").split(",").filter(Boolean);
  const python = findPython(root, "run").found?.executable;
  if (!python) throw new Error("no Python with Jupyter: run npm run setup first");
  const all = courseNotebookFiles(path.join(root, "notebooks")).map((f) => readCourseNotebook(f));
  const chapters = all.filter((c) => c.exercises.length > 0 && hasSetupTags(c.notebook) && (only.length === 0 || only.some((o) => c.name.startsWith(o))));
  const skipped = all.filter((c) => c.exercises.length > 0 && !hasSetupTags(c.notebook)).map((c) => c.name);
  if (skipped.length) process.stderr.write(`grade bench: skipping ${skipped.join(", ")} (no setup cells tagged: they would run top to bottom)\n`);
  if (chapters.length === 0) throw new Error("no chapter to grade: --chapters matches none with tagged setup cells");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-bench-grade-"));
  fs.chmodSync(tmp, 0o755);
  try {
    const course = path.join(tmp, "course");
    fs.mkdirSync(path.join(course, "notebooks"), { recursive: true });
    for (const d of ["lib", "datasets"]) fs.cpSync(path.join(root, d), path.join(course, d), { recursive: true });
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(root, f), path.join(course, f));
    fs.symlinkSync("../lib", path.join(course, "notebooks", "lib"));
    fs.symlinkSync(fs.realpathSync(path.join(root, "node_modules")), path.join(course, "node_modules"));
    for (const c of all) fs.copyFileSync(c.file, path.join(course, "notebooks", `${c.name}.ipynb`));
    const subs = path.join(tmp, "submissions");
    for (let s = 1; s <= students; s++) {
      const dir = path.join(subs, `student${String(s).padStart(2, "0")}`);
      fs.mkdirSync(dir, { recursive: true });
      for (const c of chapters) fs.copyFileSync(c.file, path.join(dir, `${c.name}.ipynb`));
    }
    const perSubmission = new Map<string, number[]>();
    let compileSeconds = NaN;
    const t0 = Date.now();
    let tGrading = 0;
    let cpu0 = NaN;
    const run = await gradeSubmissions({
      root: course,
      submissions: subs,
      timeout: 300,
      notebookTimeout: 900,
      memoryMb: 2048,
      jobs,
      notebooks: chapters.map((c) => c.name),
      python,
      log: (line) => {
        process.stderr.write(`grade: ${line}\n`);
        const compiled = line.match(/^compiled lib\/ for the grading kernels in ([\d.]+) s/);
        if (compiled) {
          compileSeconds = Number(compiled[1]);
          tGrading = Date.now();
          cpu0 = childCpuSeconds();
        }
        const m = line.match(/^[^/]+\/(\S+): \S.* \(([\d.]+) s\)/);
        if (m) perSubmission.set(m[1], [...(perSubmission.get(m[1]) ?? []), Number(m[2])]);
      },
    });
    const wall = (Date.now() - (tGrading || t0)) / 1000;
    const cpu = childCpuSeconds() - cpu0;
    const load = os.loadavg()[1];
    const bad = run.grades.filter((g) => g.points !== g.maxPoints).map((g) => `${g.student}/${g.notebook}: ${g.status} ${g.message}`);
    if (bad.length) throw new Error(`the reference notebooks should get full marks: ${bad.join("; ")}`);
    emit({ figure: "compile", seconds: compileSeconds, note: "lib/ compiled once per grading run for the kernels" });
    let sum = 0;
    for (const c of chapters) {
      const times = perSubmission.get(c.name) ?? [];
      const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
      sum += mean;
      const plan = planCells(c.notebook);
      emit({
        figure: "submission",
        chapter: c.name,
        secondsPerSubmission: +mean.toFixed(1),
        samples: times.length,
        cellsRun: plan.length,
        codeCells: c.notebook.cells.filter((x) => x.cell_type === "code").length,
        exercises: c.exercises.length,
        jobs,
      });
    }
    const submissions = students * chapters.length;
    const projected = (wall / submissions) * classSize * chapters.length + (Number.isFinite(compileSeconds) ? compileSeconds : 0);
    emit({
      figure: "class",
      students: classSize,
      chapters: chapters.length,
      submissions: classSize * chapters.length,
      jobs,
      cores: os.cpus().length,
      measuredSubmissions: submissions,
      measuredWallSeconds: +wall.toFixed(1),
      sumOfChapterSeconds: +sum.toFixed(1),
      projectedMinutes: +(projected / 60).toFixed(1),
      cpuSecondsPerSubmission: +(cpu / submissions).toFixed(2),
      projectedMinutesIdle: +(((cpu / submissions) * classSize * chapters.length) / os.cpus().length / 60).toFixed(1),
      loadAverage5min: +load.toFixed(1),
      targetMinutes: 15,
      skippedChapters: skipped,
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
