"""Run one (restored) submission in a fresh kernel, then ask that kernel for answers.

Called by lib/tools/grader/grade.ts, one process per submission: run_submission.py JOB_JSON RESULT_JSON

1. Starts the per-run kernel (the kernelspec grade.ts wrote: launch_kernel.py sandboxes
   and limits it, then execs tslab) in the submission's own folder.
2. Runs the planned code cells in order (grade.ts chose them: setup cells, solution cells and
   cells they need — plan.ts). A failing cell does not stop the run (tslab then refuses
   requests for 200 ms, so we wait and retry aborted ones); only cell errors are kept.
3. After the last cell, makes a random nonce and sends the grader's own requests: one that
   imports the grader's helpers, then one that calls every exercise's learner function on
   the case arguments and prints each exercise's plain answers, as soon as they are computed,
   between markers holding the nonce. Only the stdout of the grader's own request (matched by
   msg_id) is read; the answers go back to grade.ts, which compares them with expected values
   the kernel never sees.
4. Faults: every cell and every exercise's answers have their own wall-clock limit (timeout).
   A cell or an exercise that passes it, crashes the kernel or runs it out of memory is a
   fault of that step: the kernel is killed, a fresh one runs again the cells that ran before
   (without the faulty one), and the run goes on with the next step. Only the notebook's
   total limit (totalTimeout) ends the run early. Whenever a kernel goes: kills its process
   group, then every leftover descendant (this process is a child subreaper, so daemons a
   submission detaches still end up here), and reaps them.

Jupyter talk is plain jupyter_client (AsyncKernelManager): nbclient would silently skip
cells tslab aborts. TINY_LLM_GRADE_DEBUG=1 (passed on by grade.ts) prints per-cell timings,
the kernel's peak memory and unanswered requests to stderr. Result JSON: status ok|timeout|error
(timeout: the total limit ran out), message, phase, cellIndex, cellErrors[], faults[{kind
cell|request, index|key, exercise, status timeout|crashed|out of memory, message}],
setupError, answers{key: {payload}|{error}}, leftovers, kernels, seconds.
"""
import asyncio
import ctypes
import json
import os
import re
import secrets
import signal
import sys
import time
from queue import Empty

PR_SET_CHILD_SUBREAPER = 36
NONCE_PLACEHOLDER = "\x00NONCE\x00"  # kernelcode.ts NONCE
KEEP_STDERR = 8000
T0 = 0.0


def first_line(text, n=80):
    line = next((l.strip() for l in (text or "").split("\n") if l.strip()), "")
    return line if len(line) <= n else line[: n - 1] + "…"


# ---------------------------------------------------------------- processes ------------
def become_subreaper():
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except Exception:
            pass


def process_table():
    """pid -> (ppid, state) for every process we can see (Linux /proc)."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) >= 2:
            table[int(name)] = (int(rest[1]), rest[0])
    return table


def living_descendants(root):
    table = process_table()
    children = {}
    for pid, (ppid, state) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            if table[c][1] != "Z":
                out.append(c)
            todo.append(c)
    return out


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep():
    """SIGKILL every living descendant until none is left. Returns how many were killed."""
    killed = set()
    for _ in range(100):
        alive = living_descendants(os.getpid())
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except OSError:
                pass
        time.sleep(0.05)
        reap()
    reap()
    return len(killed)


def kernel_process(km):
    prov = getattr(km, "provisioner", None)
    return getattr(prov, "process", None), getattr(prov, "pgid", None)


def kill_group(km):
    proc, pgid = kernel_process(km)
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    if proc is not None:
        try:
            proc.kill()
        except OSError:
            pass


def tail(path, n=16000):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf8", "replace")
    except OSError:
        return ""


OOM = re.compile(r"heap out of memory|Reached heap limit|Fatal process out of memory|Allocation failed - |Fatal JavaScript out of memory|std::bad_alloc", re.I)


def classify_death(returncode, stderr_tail):
    """(status, message) for a kernel that exited on its own."""
    if OOM.search(stderr_tail or ""):
        return "out of memory", "the kernel ran out of memory (the limit is --memory MB) and was stopped"
    if returncode is not None and returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "signal %d" % sig
        if sig == signal.SIGKILL:
            return "crashed", "the kernel was killed (%s; the machine may have run out of memory)" % name
        if sig == getattr(signal, "SIGXCPU", -1):
            return "timeout", "the kernel used up its CPU time limit"
        if sig == getattr(signal, "SIGXFSZ", -1):
            return "crashed", "the kernel wrote a file larger than the limit (256 MB)"
        if sig == signal.SIGABRT:
            return "crashed", "the kernel aborted (%s): %s" % (name, first_line(last_lines(stderr_tail)))
        return "crashed", "the kernel crashed (%s)" % name
    return "crashed", "the kernel exited (code %s)%s" % (returncode, (": " + first_line(last_lines(stderr_tail))) if stderr_tail.strip() else "")


def last_lines(text, n=3):
    lines = [l for l in (text or "").split("\n") if l.strip()]
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------- talking --------------
class Dead(Exception):
    pass


class Timeout(Exception):
    pass


async def execute(kc, km, code, deadline, capture_stdout=False, cap=0, live=None):
    """Run code; returns dict(status, stdout, stderr, ename, evalue, overflow). Raises Timeout/Dead.

    live: a dict that receives "stdout" (the list of stdout pieces so far, also when Timeout/Dead
    is raised) and may hold "on_stdout": called with the stdout so far, returns a new deadline or None.
    """
    msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False)
    out = {"status": None, "stdout": [], "stdout_len": 0, "stderr": "", "ename": None, "evalue": None, "overflow": False}
    if live is not None:
        live["stdout"] = out["stdout"]
    idle = False
    last_alive_check = 0.0
    while not (idle and out["status"] is not None):
        now = time.monotonic()
        if now >= deadline:
            raise Timeout()
        if now - last_alive_check > 0.5:
            last_alive_check = now
            if not await km.is_alive():
                raise Dead()
        try:
            msg = await kc.get_iopub_msg(timeout=min(0.2, max(0.01, deadline - now)))
        except Empty:
            msg = None
        if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "stream":
                text = content.get("text", "")
                if content.get("name") == "stdout" and capture_stdout:
                    if out["stdout_len"] + len(text) > cap:
                        out["overflow"] = True
                    else:
                        out["stdout"].append(text)
                        out["stdout_len"] += len(text)
                        if live is not None and live.get("on_stdout"):
                            later = live["on_stdout"]("".join(out["stdout"]))
                            if later is not None:
                                deadline = later
                elif content.get("name") == "stderr" and len(out["stderr"]) < KEEP_STDERR:
                    out["stderr"] += text[: KEEP_STDERR - len(out["stderr"])]
            elif kind == "error":
                out["ename"], out["evalue"] = str(content.get("ename", ""))[:200], str(content.get("evalue", ""))[:2000]
        if out["status"] is None:
            try:
                reply = await kc.get_shell_msg(timeout=0 if msg is not None else 0.01)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    out["status"] = reply["content"].get("status", "error")
            except Empty:
                pass
    out["stdout"] = "".join(out["stdout"])
    return out


async def execute_retrying(kc, km, code, deadline, **kw):
    """tslab aborts requests for 200 ms after a failed one: wait and retry those."""
    for attempt in range(5):
        r = await execute(kc, km, code, deadline, **kw)
        if r["status"] != "abort":
            if r["status"] == "error":
                await asyncio.sleep(0.3)
            return r
        await asyncio.sleep(0.3)
    return r


def error_text(r):
    """A short description of a failed cell: tslab puts TypeScript errors in stderr."""
    if r["ename"] or r["evalue"]:
        head = "%s: %s" % (r["ename"] or "Error", first_line(r["evalue"], 200))
    else:
        head = ""
    stderr = r["stderr"].strip()
    if stderr:
        # "3:7 - Type 'string' is not assignable…" (TS) or a JS stack: keep the meaningful line.
        lines = [l.strip() for l in stderr.split("\n") if l.strip()]
        ts = [l for l in lines if re.match(r"^\d+:\d+ - ", l)]
        err = [l for l in lines if re.match(r"^[A-Za-z]*(Error|Exception)\b", l)]
        pick = ts[0] if ts else (err[0] if err else lines[0])
        return first_line(pick, 240) if not head or ts else head
    return head or "the cell failed"


def extract(stdout, nonce, key):
    begin, end = "BEGIN-%s-%s:" % (nonce, key), ":END-%s-%s" % (nonce, key)
    if stdout.count(begin) != 1 or stdout.count(end) != 1:
        return None
    a = stdout.index(begin) + len(begin)
    b = stdout.index(end)
    return stdout[a:b] if b >= a else None


class Kernel:
    """One kernel process (a fresh one after every fault)."""

    def __init__(self, job, n):
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=job["kernelName"])
        self.kc = None
        self.stderr_file = "%s.%d" % (job["stderrFile"], n)
        self.errf = open(self.stderr_file, "wb")

    async def start(self, job):
        await self.km.start_kernel(cwd=job["cwd"], env=job["env"], stdout=self.errf, stderr=self.errf)
        self.kc = self.km.client()
        self.kc.start_channels()
        await asyncio.wait_for(self.kc.wait_for_ready(timeout=job["startupTimeout"]), job["startupTimeout"] + 5)

    def death(self):
        """(status, message) of a kernel that died."""
        proc, _ = kernel_process(self.km)
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                code = proc.poll()
        return classify_death(code, tail(self.stderr_file))

    async def stop(self):
        if os.environ.get("TINY_LLM_GRADE_DEBUG"):
            proc, _ = kernel_process(self.km)
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    print("kernel " + " ".join(l.strip() for l in f if l.startswith(("VmHWM", "VmPeak"))), file=sys.stderr)
            except Exception:  # noqa: BLE001
                pass
        kill_group(self.km)
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        try:
            await asyncio.wait_for(self.km.shutdown_kernel(now=True), 10)
        except Exception:  # noqa: BLE001
            pass
        n = sweep()
        self.errf.close()
        return n


class BudgetOut(Exception):
    pass


async def run(job, result):
    """Run the planned cells, then the grader's requests, each with its own time limit.

    A cell or request that hangs, crashes or runs out of memory is recorded as a fault and
    skipped: the kernel is replaced by a fresh one, the cells that ran before are run again
    (the fault's cell left out), and the run goes on with the next step. Only the notebook's
    total time limit (totalTimeout) stops everything.
    """
    per_step = job["timeout"]
    total_deadline = None
    # All exercises' answers are asked in one request (one compile in the kernel instead of one
    # per exercise); each exercise's answers are printed as soon as they are computed, and each
    # exercise gets its own time limit, so a fault there is still pinned on one exercise.
    steps = [("cell", c) for c in job["cells"]] + [("setup", None)] + [("answers", job["requests"])]
    done = []  # cell and setup steps that completed: run again in every fresh kernel
    pos = 0
    n_kernels = 0
    nonce = None
    kernel = None
    step_live = {"answers": None, "request": None}
    result["faults"] = []
    result["phase"] = "startup"

    def describe(step):
        kind, item = step
        if kind == "cell":
            return "cell %d (%s)" % (item["index"] + 1, first_line(item["source"], 60))
        if kind == "request":
            return "the answers for %s" % item["key"]
        if kind == "answers":
            return "the answers"
        return "the grader's helpers"

    async def execute_step(step, replay):
        nonlocal nonce
        kind, item = step
        now = time.monotonic()
        deadline = min(now + per_step, total_deadline)
        if kind == "cell":
            result["phase"] = "cells"
            t_cell = time.monotonic()
            r = await execute_retrying(kernel.kc, kernel.km, item["source"], deadline)
            if os.environ.get("TINY_LLM_GRADE_DEBUG"):
                print("cell %d%s: %s in %.2f s: %s" % (item["index"] + 1, " (again)" if replay else "", r["status"], time.monotonic() - t_cell, first_line(item["source"], 60)), file=sys.stderr)
            if replay:
                return
            result["executed"] += 1
            if r["status"] == "error":
                result["cellErrors"].append({"index": item["index"], "error": error_text(r)})
            elif r["status"] == "abort":
                result["cellErrors"].append({"index": item["index"], "error": "the kernel refused to run this cell (aborted)"})
        elif kind == "setup":
            # The grader's own requests. The nonce exists only from now on.
            result["phase"] = "grading"
            if nonce is None:
                nonce = "n" + secrets.token_hex(12)
            r = await execute_retrying(kernel.kc, kernel.km, job["setup"].replace(NONCE_PLACEHOLDER, nonce), deadline)
            if r["status"] != "ok" and not replay:
                result["setupError"] = error_text(r)
        elif kind == "answers":
            result["phase"] = "grading"
            pending = [q for q in item if q["key"] not in result["answers"]]
            step_live["answers"] = None
            step_live["request"] = None
            if not pending:
                return
            if result["setupError"] or len(pending) == 1:
                for q in pending:
                    step_live["request"] = q
                    await execute_step(("request", q), False)
                    step_live["request"] = None
                return

            def answered(stdout):
                return [q for q in pending if extract(stdout, nonce, q["key"]) is not None]

            done_count = [0]

            def on_stdout(stdout):
                n = len(answered(stdout))
                if n > done_count[0]:
                    done_count[0] = n
                    return min(time.monotonic() + per_step, total_deadline)
                return None

            live = {"on_stdout": on_stdout}
            code = "\n".join(q["code"].replace(NONCE_PLACEHOLDER, nonce) for q in pending)
            try:
                r = await execute_retrying(kernel.kc, kernel.km, code, deadline, capture_stdout=True, cap=job["maxAnswerBytes"], live=live)
                stdout = r["stdout"]
            except (Timeout, Dead):
                stdout = "".join(live.get("stdout") or [])
                for q in pending:
                    payload = extract(stdout, nonce, q["key"])
                    if payload is None:
                        live["culprit"] = q
                        break
                    result["answers"][q["key"]] = {"payload": payload}
                raise
            finally:
                step_live["answers"] = live
            if r["overflow"]:
                for q in pending:
                    result["answers"][q["key"]] = {"error": "the answers were larger than %d MB" % (job["maxAnswerBytes"] // 1048576)}
                return
            for q in pending:
                payload = extract(stdout, nonce, q["key"])
                if payload is not None:
                    result["answers"][q["key"]] = {"payload": payload}
            # Whatever did not come back (the request failed part-way): ask again, one exercise at a time.
            for q in pending:
                if q["key"] not in result["answers"]:
                    step_live["request"] = q
                    await execute_step(("request", q), False)
                    step_live["request"] = None
        else:
            result["phase"] = "grading"
            key = item["key"]
            if result["setupError"]:
                result["answers"][key] = {"error": "the grader could not load its helpers in this kernel: %s" % result["setupError"]}
                return
            r = await execute_retrying(kernel.kc, kernel.km, item["code"].replace(NONCE_PLACEHOLDER, nonce), deadline, capture_stdout=True, cap=job["maxAnswerBytes"])
            if r["overflow"]:
                result["answers"][key] = {"error": "the answers were larger than %d MB" % (job["maxAnswerBytes"] // 1048576)}
                return
            payload = extract(r["stdout"], nonce, key)
            if payload is not None:
                result["answers"][key] = {"payload": payload}
            elif r["status"] == "error":
                result["answers"][key] = {"error": "calling your function failed: %s" % error_text(r)}
            else:
                result["answers"][key] = {"error": "no answer came back from the kernel (did the notebook replace console.log?)"}
                if os.environ.get("TINY_LLM_GRADE_DEBUG"):
                    print("request %s: status %s\nstdout: %s\nstderr: %s" % (key, r["status"], r["stdout"][:2000], r["stderr"][:2000]), file=sys.stderr)

    def fault(step, status, message, again=False):
        kind, item = step
        entry = {"kind": kind, "status": status, "message": message}
        if kind == "cell":
            entry["index"] = item["index"]
            entry["exercise"] = item.get("exercise")
        elif kind == "request":
            entry["key"] = item["key"]
            entry["exercise"] = item["key"]
        if again:
            entry["again"] = True
        result["faults"].append(entry)

    def timeout_message(step):
        kind, item = step
        if kind == "request":
            return "computing the answers did not finish within %s s (the grader calls the function on every case) — an infinite loop?" % per_step
        return "%s did not finish within %s s — an infinite loop? It was stopped and skipped" % (describe(step), per_step)

    try:
        while pos < len(steps):
            n_kernels += 1
            if n_kernels > job.get("maxKernels", 50):
                raise BudgetOut()
            kernel = Kernel(job, n_kernels)
            try:
                await kernel.start(job)
            except Exception as e:  # noqa: BLE001 - any startup failure is reported, not raised
                proc, _ = kernel_process(kernel.km)
                code = proc.poll() if proc is not None else None
                result["status"] = "error"
                result["message"] = "the kernel did not start (%s: %s)%s" % (
                    type(e).__name__,
                    first_line(str(e), 200),
                    ("; kernel output: " + first_line(last_lines(tail(kernel.stderr_file)), 300)) if tail(kernel.stderr_file).strip() else "",
                )
                if code is not None and OOM.search(tail(kernel.stderr_file)):
                    result["status"], result["message"] = classify_death(code, tail(kernel.stderr_file))
                return
            if total_deadline is None:
                total_deadline = time.monotonic() + job["totalTimeout"]
                if os.environ.get("TINY_LLM_GRADE_DEBUG"):
                    print("kernel ready after %.2f s" % (time.time() - T0), file=sys.stderr)
            current = None
            try:
                for step in list(done):
                    current = ("replay", step)
                    await execute_step(step, True)
                while pos < len(steps):
                    step = steps[pos]
                    current = ("new", step)
                    t_step = time.monotonic()
                    await execute_step(step, False)
                    if os.environ.get("TINY_LLM_GRADE_DEBUG") and step[0] != "cell":
                        print("%s: %.2f s" % (describe(step), time.monotonic() - t_step), file=sys.stderr)
                    if step[0] in ("cell", "setup"):
                        done.append(step)
                    pos += 1
            except (Timeout, Dead) as e:
                if time.monotonic() >= total_deadline:
                    raise BudgetOut()
                how, step = current
                if step[0] == "answers":
                    # Pin the fault on the exercise whose answers were being computed.
                    culprit = step_live["request"] or ((step_live["answers"] or {}).get("culprit"))
                    step_live["request"] = None
                    if culprit is None:
                        culprit = next((q for q in step[1] if q["key"] not in result["answers"]), None)
                    if culprit is None:
                        pos += 1
                        result["leftovers"] += await kernel.stop()
                        kernel = None
                        continue
                    step = ("request", culprit)
                    result["answers"][culprit["key"]] = {"error": "no answer (see the fault)"}
                    how = "answers"
                if isinstance(e, Timeout):
                    status, message = "timeout", timeout_message(step)
                else:
                    status, message = kernel.death()
                    message += " while running %s" % describe(step) if step[0] == "cell" else " while computing the answers"
                if how == "answers":
                    fault(step, status, message)  # the answers step goes on with the other exercises in a fresh kernel
                elif how == "replay":
                    # It ran before; run again in a fresh kernel it did not: leave it out from now on.
                    done.remove(step)
                    fault(step, status, message + " (when it was run again after an earlier fault)", again=True)
                else:
                    fault(step, status, message)
                    pos += 1
                result["leftovers"] += await kernel.stop()
                kernel = None
                continue
        result["status"] = "ok"
    except BudgetOut:
        result["status"] = "timeout"
        where = describe(steps[pos]) if pos < len(steps) else "the end"
        result["message"] = "the notebook did not finish within its total limit of %s s; it was still running %s" % (job["totalTimeout"], where)
        if pos < len(steps) and steps[pos][0] == "cell":
            result["cellIndex"] = steps[pos][1]["index"]
    finally:
        if kernel is not None:
            result["leftovers"] += await kernel.stop()
        result["kernels"] = n_kernels
        if os.environ.get("TINY_LLM_GRADE_DEBUG"):
            print("driver done after %.2f s, %d kernel%s" % (time.time() - T0, n_kernels, "s" if n_kernels != 1 else ""), file=sys.stderr)


def main():
    job_file, result_file = sys.argv[1], sys.argv[2]
    with open(job_file) as f:
        job = json.load(f)
    become_subreaper()
    result = {"status": "error", "message": "", "executed": 0, "cellErrors": [], "answers": {}, "setupError": None, "cellIndex": None, "leftovers": 0}
    t0 = time.time()
    global T0
    T0 = t0

    async def guarded():
        task = asyncio.ensure_future(run(job, result))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            result["status"] = "error"
            result["message"] = "grading was interrupted"

    try:
        asyncio.run(guarded())
    except BaseException as e:  # noqa: BLE001 - a bug here must still leave a result and no processes
        result["status"] = "error"
        result["message"] = "the grading driver failed: %s: %s" % (type(e).__name__, e)
        sweep()
    finally:
        result["seconds"] = round(time.time() - t0, 2)
        with open(result_file, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
