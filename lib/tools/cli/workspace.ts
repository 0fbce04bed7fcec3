/**
 * The learner's own copy of the course: `workspace/` in the checkout (git-ignored), holding the
 * student version of every chapter (exercises unsolved, made by grader/student.ts's
 * makeStudentNotebook — the same function as `npm run student`), and a `lib` link to the
 * checkout's lib so `import … from "./lib/…"` works exactly as in notebooks/.
 *
 * `npm start` syncs it before opening it. The rule: nothing the learner wrote is ever
 * overwritten or lost.
 *  - a chapter that is new (or whose file the learner deleted) is written;
 *  - a chapter whose cells the learner did not change (running it only adds outputs) is
 *    replaced when the course's version changed;
 *  - a chapter the learner changed is left alone; if the course's version changed, the new
 *    student version is written BESIDE it as `NN-name.course-update.ipynb`, and setup says so.
 * Which chapters the learner changed is decided against `.course-manifest.json`, which records
 * a hash of the cells (types and sources, not outputs) of every version the workspace was given.
 *
 * `npm run workspace [-- status]` syncs and lists; `-- reset NN` moves the learner's copy of a
 * chapter aside (to NN-name.before-reset-<time>.ipynb) and writes a fresh one; `-- compare NN`
 * prints each exercise as the learner wrote it next to the reference solution.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CourseError, readNotebookFile } from "../grader/course";
import { cellSource, gradeId, isSolutionCell, Notebook, notebookText, parseNotebook } from "../grader/notebook";
import { makeStudentNotebook } from "../grader/student";
import { courseNotebookFiles, repoRoot } from "../paths";

export const MANIFEST = ".course-manifest.json";
export const UPDATE_SUFFIX = ".course-update";

export class WorkspaceError extends Error {}

interface ManifestEntry {
  /** Hash of the cells of the student version last given to the learner under this name. */
  given: string;
  /** Offered update beside a changed chapter: its file name and the hash of what was written. */
  offered?: { file: string; hash: string };
}

interface Manifest {
  about: string;
  chapters: Record<string, ManifestEntry>;
  /** Other course pages copied in (glossary.md …): file → hash of the text given. */
  pages?: Record<string, string>;
}

/** Default workspace folder: $TINY_LLM_WORKSPACE, else <checkout>/workspace. */
export function defaultWorkspace(root: string = repoRoot()): string {
  return process.env.TINY_LLM_WORKSPACE ? path.resolve(process.env.TINY_LLM_WORKSPACE) : path.join(root, "workspace");
}

/** What the learner can change: each cell's type and source (outputs, counts and metadata do not count). */
export function cellsHash(nb: Notebook): string {
  const cells = nb.cells.map((c) => [c.cell_type, cellSource(c)]);
  return createHash("sha256").update(JSON.stringify(cells)).digest("hex");
}

function fileHash(file: string): string | null {
  try {
    return cellsHash(parseNotebook(fs.readFileSync(file, "utf8")));
  } catch {
    return null; // unreadable: treat as the learner's own (never overwritten)
  }
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  const empty: Manifest = { about: "Written by npm start: which version of each chapter this workspace was given. Do not edit.", chapters: {} };
  if (!fs.existsSync(file)) return empty;
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    return m && typeof m.chapters === "object" ? m : empty;
  } catch {
    return empty; // a broken manifest only makes us more careful: every existing file counts as the learner's
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Make `dir/lib` the link to the checkout's lib (relative when inside the checkout). */
export function ensureWorkspaceLib(dir: string, libDir: string): string | null {
  const link = path.join(dir, "lib");
  let stat: fs.Stats | null = null;
  try {
    stat = fs.lstatSync(link);
  } catch {
    stat = null;
  }
  if (stat && stat.isSymbolicLink() && fs.existsSync(link) && fs.realpathSync(link) === fs.realpathSync(libDir)) return null;
  if (stat && !stat.isSymbolicLink()) {
    throw new WorkspaceError(`${link} is not the link to the course's lib the notebooks import through. Move it out of the way (it may hold your files) and run npm start again.`);
  }
  if (stat) fs.unlinkSync(link);
  // A sibling of lib (workspace/ in the checkout) gets "../lib", like notebooks/lib; elsewhere an absolute link.
  const sibling = path.dirname(path.resolve(dir)) === path.dirname(path.resolve(libDir));
  fs.symlinkSync(sibling ? path.relative(dir, libDir) : path.resolve(libDir), link, process.platform === "win32" ? "junction" : "dir");
  return `lib → ${fs.readlinkSync(link)}`;
}

/**
 * tslab type-checks `lib/…` at its path through the link, so TypeScript looks for the lib's
 * packages in node_modules folders above the WORKSPACE. Inside the checkout it finds the
 * checkout's; a workspace elsewhere gets a `node_modules` link to it.
 */
export function ensureNodeModules(dir: string, root: string): void {
  const inside = !path.relative(fs.realpathSync(root), fs.realpathSync(dir)).startsWith("..");
  const link = path.join(dir, "node_modules");
  if (inside || fs.existsSync(link)) return;
  try {
    fs.lstatSync(link);
    fs.unlinkSync(link); // a dangling link
  } catch {
    /* absent */
  }
  fs.symlinkSync(path.join(root, "node_modules"), link, process.platform === "win32" ? "junction" : "dir");
}

export interface SyncEvent {
  chapter: string;
  kind: "added" | "restored" | "updated" | "kept" | "offered" | "unchanged" | "skipped";
  message: string;
}

export interface SyncOptions {
  /** The checkout (default: this one). */
  root?: string;
  /** The workspace folder (default: defaultWorkspace(root)). */
  dir?: string;
  /** Course notebooks folder (default: <root>/notebooks). */
  notebooks?: string;
  /** The lib the workspace links to (default: <root>/lib; tests may pass a frozen copy). */
  lib?: string;
  log?: (line: string) => void;
}

function freeName(dir: string, stem: string, suffix: string, taken: (file: string) => boolean): string {
  for (let n = 1; ; n++) {
    const file = `${stem}${suffix}${n === 1 ? "" : `-${n}`}.ipynb`;
    if (!taken(file)) return file;
  }
}

/** Create or update the workspace (see the file comment). Returns one event per chapter. */
export function syncWorkspace(opts: SyncOptions = {}): { dir: string; events: SyncEvent[] } {
  const root = path.resolve(opts.root ?? repoRoot());
  const dir = path.resolve(opts.dir ?? defaultWorkspace(root));
  const notebooks = opts.notebooks ?? path.join(root, "notebooks");
  const log = opts.log ?? ((line: string) => console.log(`workspace: ${line}`));
  if (path.resolve(dir) === path.resolve(notebooks)) throw new WorkspaceError("The workspace must not be notebooks/ (that holds the course's solutions). Set TINY_LLM_WORKSPACE to another folder.");
  const files = courseNotebookFiles(notebooks);
  if (files.length === 0) throw new WorkspaceError(`No course notebooks (NN-name.ipynb) in ${notebooks}.`);
  const created = !fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true });
  const libChange = ensureWorkspaceLib(dir, opts.lib ?? path.join(root, "lib"));
  ensureNodeModules(dir, root);
  if (created) log(`created your workspace ${dir} (student versions: the exercises start unsolved)`);
  else if (libChange) log(`repaired ${libChange}`);

  const manifest = readManifest(dir);
  const events: SyncEvent[] = [];
  for (const file of files) {
    const chapter = path.basename(file);
    let name: string;
    let student: Notebook;
    try {
      const read = readNotebookFile(file);
      name = read.name;
      student = makeStudentNotebook(read.notebook, name);
    } catch (err) {
      // One broken course notebook must not keep the learner from the others.
      if (!(err instanceof CourseError)) throw err;
      events.push({ chapter, kind: "skipped", message: `skipped ${chapter}: its student version cannot be made (${err.message})` });
      log(`skipped ${chapter}: its student version cannot be made (${err.message}); your copy, if any, is untouched`);
      continue;
    }
    const text = notebookText(student);
    const want = cellsHash(student);
    const target = path.join(dir, chapter);
    const entry = manifest.chapters[chapter];
    const have = fs.existsSync(target) ? fileHash(target) : null;
    const event = (kind: SyncEvent["kind"], message: string): void => {
      events.push({ chapter, kind, message });
      if (kind !== "unchanged" && kind !== "kept") log(message);
    };
    if (!fs.existsSync(target)) {
      writeAtomic(target, text);
      manifest.chapters[chapter] = { given: want };
      event(entry ? "restored" : "added", `${entry ? "restored" : "added"} ${chapter}${entry ? " (its file was missing: a fresh copy)" : ""}`);
      continue;
    }
    if (have === want) {
      manifest.chapters[chapter] = { ...entry, given: want };
      event("unchanged", `${chapter}: up to date`);
      continue;
    }
    if (entry && have === entry.given) {
      // The learner only ran it (or never opened it): their cells are the version we gave. Safe to update.
      writeAtomic(target, text);
      manifest.chapters[chapter] = { given: want };
      event("updated", `updated ${chapter} to the course's new version (you had not changed its cells; rerun it to see the outputs)`);
      continue;
    }
    // The learner changed it (or it predates the manifest and differs): never touch it.
    if (entry && entry.given === want) {
      event("kept", `${chapter}: yours, kept`);
      continue;
    }
    if (entry?.offered && fs.existsSync(path.join(dir, entry.offered.file)) && fileHash(path.join(dir, entry.offered.file)) === want) {
      event("kept", `${chapter}: yours, kept; the course's new version is in ${entry.offered.file}`);
      continue;
    }
    const stem = name;
    const offeredFile =
      entry?.offered && fs.existsSync(path.join(dir, entry.offered.file)) && fileHash(path.join(dir, entry.offered.file)) === entry.offered.hash
        ? entry.offered.file // our earlier, untouched offer: refresh it
        : freeName(dir, stem, UPDATE_SUFFIX, (f) => fs.existsSync(path.join(dir, f)));
    writeAtomic(path.join(dir, offeredFile), text);
    manifest.chapters[chapter] = { given: entry?.given ?? want, offered: { file: offeredFile, hash: want } };
    event(
      "offered",
      `${chapter} has your changes and the course's version of it changed: your file is untouched; the new version is beside it as ${offeredFile}. ` +
        `Compare them and copy what you want across (npm run workspace -- compare ${name.slice(0, 2)} shows your answers next to the reference).`,
    );
  }
  // The course's other pages (glossary.md …), which the chapters link to: same rule, never overwrite an edited one.
  const pages = (manifest.pages = manifest.pages ?? {});
  for (const page of fs.readdirSync(notebooks).filter((f) => f.endsWith(".md")).sort()) {
    const want = fs.readFileSync(path.join(notebooks, page), "utf8");
    const wantHash = createHash("sha256").update(want).digest("hex");
    const target = path.join(dir, page);
    const have = fs.existsSync(target) ? createHash("sha256").update(fs.readFileSync(target, "utf8")).digest("hex") : null;
    if (have === wantHash) pages[page] = wantHash;
    else if (have === null || have === pages[page]) {
      writeAtomic(target, want);
      pages[page] = wantHash;
      if (!created) log(`${have === null ? "added" : "updated"} ${page}`);
    } else if (pages[page] !== undefined) log(`${page}: you changed it, so the course's new version was not copied (it is ${path.join(notebooks, page)})`);
  }
  writeAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
  return { dir, events };
}

/** Move the learner's copy of a chapter aside and write a fresh student version. Returns the backup's name. */
export function resetChapter(chapter: string, opts: SyncOptions = {}): { backup: string | null; dir: string } {
  const root = path.resolve(opts.root ?? repoRoot());
  const dir = path.resolve(opts.dir ?? defaultWorkspace(root));
  const target = path.join(dir, chapter);
  let backup: string | null = null;
  if (fs.existsSync(target)) {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
    backup = freeName(dir, chapter.replace(/\.ipynb$/, ""), `.before-reset-${stamp}`, (f) => fs.existsSync(path.join(dir, f)));
    fs.renameSync(target, path.join(dir, backup));
  }
  syncWorkspace({ ...opts, root, dir });
  return { backup, dir };
}

export interface ExerciseComparison {
  id: string;
  mine: string | null;
  reference: string;
}

/** Each exercise cell of the learner's chapter next to the reference solution (matched by grade id). */
export function compareChapter(mineFile: string, referenceFile: string): ExerciseComparison[] {
  const mine = readNotebookFile(mineFile).notebook;
  const ref = readNotebookFile(referenceFile).notebook;
  const byId = new Map(mine.cells.filter(isSolutionCell).map((c) => [gradeId(c) as string, cellSource(c)]));
  return ref.cells.filter(isSolutionCell).map((c) => ({ id: gradeId(c) as string, mine: byId.get(gradeId(c) as string) ?? null, reference: cellSource(c) }));
}

/** `01`, `01-tokens`, `01-tokens.ipynb` → the chapter file name in notebooks/. */
export function chapterName(arg: string, notebooks: string): string {
  const files = courseNotebookFiles(notebooks).map((f) => path.basename(f));
  const hit = files.find((f) => f === arg || f === `${arg}.ipynb` || f.startsWith(`${arg}-`));
  if (!hit) throw new WorkspaceError(`No chapter "${arg}". Chapters: ${files.map((f) => f.replace(/\.ipynb$/, "")).join(", ")}`);
  return hit;
}

function main(argv: string[]): void {
  const root = repoRoot();
  const notebooks = path.join(root, "notebooks");
  const [cmd = "status", arg] = argv;
  try {
    if (cmd === "status" || cmd === "sync") {
      const { dir, events } = syncWorkspace({ root });
      for (const e of events) if (e.kind === "unchanged" || e.kind === "kept") console.log(`workspace: ${e.message}`);
      console.log(`workspace: ${dir}`);
    } else if (cmd === "reset") {
      if (!arg) throw new WorkspaceError("Say which chapter: npm run workspace -- reset 01");
      const chapter = chapterName(arg, notebooks);
      const { backup } = resetChapter(chapter, { root });
      console.log(`workspace: ${chapter} is fresh again${backup ? `; your previous copy is ${backup}` : ""}`);
    } else if (cmd === "compare") {
      if (!arg) throw new WorkspaceError("Say which chapter: npm run workspace -- compare 01");
      const chapter = chapterName(arg, notebooks);
      const mine = path.join(defaultWorkspace(root), chapter);
      if (!fs.existsSync(mine)) throw new WorkspaceError(`${mine} does not exist: run npm start (or npm run workspace) first.`);
      for (const c of compareChapter(mine, path.join(notebooks, chapter))) {
        console.log(`\n=== ${c.id}: yours ===\n${c.mine ?? "(no cell with this exercise id in your notebook)"}\n=== ${c.id}: reference ===\n${c.reference}`);
      }
    } else {
      throw new WorkspaceError(`unknown command ${cmd}. Use: npm run workspace [-- status | reset NN | compare NN]`);
    }
  } catch (err) {
    if (err instanceof WorkspaceError) {
      console.error(`workspace: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main(process.argv.slice(2));
