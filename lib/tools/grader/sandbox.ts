/**
 * Where and as whom a submission runs.
 *
 * Each submission gets a fresh folder (mode 0700) holding a *copy* of the course's lib/,
 * datasets/ and package.json (so nothing it writes can reach the course), a symlink to the
 * course's node_modules, and home/ and tmp/. As root, the folder belongs to the unprivileged
 * kernel user (default `nobody`). The kernel is started by launch_kernel.py, which adds
 * RLIMIT_DATA, Landlock (when the Linux kernel offers it) and the privilege drop.
 *
 * `courseFingerprint` hashes the course's lib/, notebooks/ and datasets/ (and, when no
 * sandbox protects it, a listing of node_modules) so the grader can prove after every
 * submission that the course is unchanged.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isRoot } from "../cli/python";

export interface Protections {
  /** The grader runs as root. */
  root: boolean;
  /** The user kernels run as (root only), with its uid/gid. */
  user: { name: string; uid: number; gid: number } | null;
  /** Landlock ABI version applied to kernels (0: none). */
  landlock: number;
}

/** Ask launch_kernel.py what this machine supports. */
export function probeProtections(python: string, launcher: string, userName: string | null): Protections {
  const res = spawnSync(python, [launcher, "--probe"], { encoding: "utf8", timeout: 20_000 });
  let landlock = 0;
  try {
    landlock = Number((JSON.parse(res.stdout) as { landlock: number }).landlock) || 0;
  } catch {
    landlock = 0;
  }
  if (process.env.TINY_LLM_GRADE_LANDLOCK === "0") landlock = 0;
  const root = isRoot();
  let user: Protections["user"] = null;
  if (root && userName) {
    const id = spawnSync("id", ["-u", userName], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", userName], { encoding: "utf8" });
    if (id.status !== 0 || gid.status !== 0) throw new Error(`The kernel user "${userName}" does not exist; create it or pick another with --user NAME.`);
    user = { name: userName, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
    if (user.uid === 0) throw new Error(`--user ${userName} is root: choose an unprivileged user for the kernels (default nobody).`);
  }
  return { root, user, landlock };
}

/** One line per protection, for the console. */
export function describeProtections(p: Protections): string[] {
  const lines: string[] = [];
  if (p.user) lines.push(`kernels run as the unprivileged user ${p.user.name} (uid ${p.user.uid}) with no supplementary groups`);
  else if (p.root) lines.push("WARNING: running as root without --user: kernels run as root");
  else lines.push("kernels run as you (not root): they can do whatever your user can, except what Landlock forbids");
  if (p.landlock) {
    lines.push(
      `Landlock ABI ${p.landlock}: kernels read only system folders and node_modules, write only their own folder` +
        (p.landlock >= 4 ? ", open no TCP connections" : "") +
        (p.landlock >= 6 ? ", signal nothing outside their sandbox" : ""),
    );
  } else {
    lines.push("no Landlock on this machine: kernels can read every file their user can read (course solutions and hidden tests included, unless only root can read them)");
  }
  return lines;
}

/** Regular files and folders only (a symlink inside lib/ is not copied, so it cannot be written through). */
function copyTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) copyTree(s, d);
    else if (e.isFile()) fs.copyFileSync(s, d);
  }
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.lchownSync(dir, uid, gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}

/** A fresh working folder for one submission; `libDir` (default the course's lib/) is copied in as lib/. */
export function makeWorkDir(courseRoot: string, protections: Protections, libDir?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-llm-submission-"));
  fs.chmodSync(dir, 0o700);
  copyTree(libDir ?? path.join(courseRoot, "lib"), path.join(dir, "lib"));
  if (fs.existsSync(path.join(courseRoot, "datasets"))) copyTree(path.join(courseRoot, "datasets"), path.join(dir, "datasets"));
  fs.copyFileSync(path.join(courseRoot, "package.json"), path.join(dir, "package.json"));
  fs.symlinkSync(fs.realpathSync(path.join(courseRoot, "node_modules")), path.join(dir, "node_modules"), "dir");
  fs.mkdirSync(path.join(dir, "home"));
  fs.mkdirSync(path.join(dir, "tmp"));
  if (protections.user) chownTree(dir, protections.user.uid, protections.user.gid);
  return dir;
}

/** Remove a tree a submission may have made hostile (read-only folders, odd modes). */
export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch {
    /* make everything writable and try again */
  }
  const fix = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    try {
      fs.chmodSync(p, st.isDirectory() ? 0o700 : 0o600);
    } catch {
      /* ignore */
    }
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) fix(path.join(p, n));
  };
  fix(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

function hashTree(h: ReturnType<typeof createHash>, root: string, rel: string, contents: boolean, skipDot = false): void {
  const abs = path.join(root, rel);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch {
    h.update(`missing ${rel}\n`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (skipDot && e.name.startsWith(".") && e.name !== ".bin") continue; // tools' caches (node_modules/.vite, .cache)
    const r = path.join(rel, e.name);
    const p = path.join(root, r);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) h.update(`link ${r} ${fs.readlinkSync(p)}\n`);
    else if (st.isDirectory()) {
      h.update(`dir ${r} ${st.mode}\n`);
      hashTree(h, root, r, contents, skipDot);
    } else if (contents) {
      h.update(`file ${r} ${st.mode} `);
      h.update(fs.readFileSync(p));
      h.update("\n");
    } else h.update(`file ${r} ${st.mode} ${st.size} ${st.mtimeMs}\n`);
  }
}

/** A hash of the course's files a submission must never change. */
export function courseFingerprint(root: string, withNodeModules: boolean): string {
  const h = createHash("sha256");
  for (const d of ["lib", "notebooks", "datasets"]) hashTree(h, root, d, true);
  if (withNodeModules) hashTree(h, root, "node_modules", false, true);
  return h.digest("hex");
}
