"""Run one (restored) submission in a fresh kernel, then ask that kernel for answers.

Called by lib/tools/grader/grade.ts, one process per submission: run_submission.py JOB_JSON RESULT_JSON

1. Starts the per-run kernel (the kernelspec grade.ts wrote: launch_kernel.py sandboxes
   and limits it, then execs tslab) in the submission's own folder.
2. Runs every code cell in order. A failing cell does not stop the run (tslab then refuses
   requests for 200 ms, so we wait and retry aborted ones); only cell errors are kept.
3. After the last cell, makes a random nonce and sends the grader's own requests: one that
   imports the grader's helpers, then one per exercise that calls the learner's function on
   the case arguments and prints the plain answers between markers holding the nonce. Only
   the stdout of the grader's own request (matched by msg_id) is read; the answers go back to
   grade.ts, which compares them with expected values the kernel never sees.
4. The wall-clock limit covers steps 2-3. On timeout, crash or the end: kills the kernel's
   process group, then every leftover descendant (this process is a child subreaper, so
   daemons a submission detaches still end up here), and reaps them.

Jupyter talk is plain jupyter_client (AsyncKernelManager): nbclient would silently skip
cells tslab aborts. TINY_LLM_GRADE_DEBUG=1 (passed on by grade.ts) prints per-cell timings,
the kernel's peak memory and unanswered requests to stderr. Result JSON: status ok|timeout|crashed|out of memory|error, message,
phase, cellIndex, cellErrors[], setupError, answers{key: {payload}|{error}}, leftovers, seconds.
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


async def execute(kc, km, code, deadline, capture_stdout=False, cap=0):
    """Run code; returns dict(status, stdout, stderr, ename, evalue, overflow). Raises Timeout/Dead."""
    msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False)
    out = {"status": None, "stdout": [], "stdout_len": 0, "stderr": "", "ename": None, "evalue": None, "overflow": False}
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


async def run(job, result):
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name=job["kernelName"])
    stderr_file = job["stderrFile"]
    errf = open(stderr_file, "wb")
    kc = None
    current = {"cell": None}
    result["phase"] = "startup"
    try:
        try:
            await km.start_kernel(cwd=job["cwd"], env=job["env"], stdout=errf, stderr=errf)
            kc = km.client()
            kc.start_channels()
            await asyncio.wait_for(kc.wait_for_ready(timeout=job["startupTimeout"]), job["startupTimeout"] + 5)
        except Exception as e:  # noqa: BLE001 - any startup failure is reported, not raised
            proc, _ = kernel_process(km)
            code = proc.poll() if proc is not None else None
            result["status"] = "error"
            result["message"] = "the kernel did not start (%s: %s)%s" % (
                type(e).__name__,
                first_line(str(e), 200),
                ("; kernel output: " + first_line(last_lines(tail(stderr_file)), 300)) if tail(stderr_file).strip() else "",
            )
            if code is not None and OOM.search(tail(stderr_file)):
                result["status"], result["message"] = classify_death(code, tail(stderr_file))
            return

        deadline = time.monotonic() + job["timeout"]
        if os.environ.get("TINY_LLM_GRADE_DEBUG"):
            print("kernel ready after %.2f s" % (time.time() - T0), file=sys.stderr)
        result["phase"] = "cells"
        for cell in job["cells"]:
            current["cell"] = cell
            t_cell = time.monotonic()
            r = await execute_retrying(kc, km, cell["source"], deadline)
            result["executed"] += 1
            if os.environ.get("TINY_LLM_GRADE_DEBUG"):
                print("cell %d: %s in %.2f s: %s" % (cell["index"] + 1, r["status"], time.monotonic() - t_cell, first_line(cell["source"], 60)), file=sys.stderr)
            if r["status"] == "error":
                result["cellErrors"].append({"index": cell["index"], "error": error_text(r)})
            elif r["status"] == "abort":
                result["cellErrors"].append({"index": cell["index"], "error": "the kernel refused to run this cell (aborted)"})

        # The grader's own requests. The nonce exists only from now on.
        result["phase"] = "grading"
        current["cell"] = None
        nonce = "n" + secrets.token_hex(12)
        r = await execute_retrying(kc, km, job["setup"].replace(NONCE_PLACEHOLDER, nonce), deadline)
        if r["status"] != "ok":
            result["setupError"] = error_text(r)
        for req in job["requests"]:
            current["request"] = req["key"]
            if result["setupError"]:
                result["answers"][req["key"]] = {"error": "the grader could not load its helpers in this kernel: %s" % result["setupError"]}
                continue
            r = await execute_retrying(kc, km, req["code"].replace(NONCE_PLACEHOLDER, nonce), deadline, capture_stdout=True, cap=job["maxAnswerBytes"])
            if r["overflow"]:
                result["answers"][req["key"]] = {"error": "the answers were larger than %d MB" % (job["maxAnswerBytes"] // 1048576)}
                continue
            payload = extract(r["stdout"], nonce, req["key"])
            if payload is not None:
                result["answers"][req["key"]] = {"payload": payload}
            elif r["status"] == "error":
                result["answers"][req["key"]] = {"error": "calling your function failed: %s" % error_text(r)}
            else:
                result["answers"][req["key"]] = {"error": "no answer came back from the kernel (did the notebook replace console.log?)"}
                if os.environ.get("TINY_LLM_GRADE_DEBUG"):
                    print("request %s: status %s\nstdout: %s\nstderr: %s" % (req["key"], r["status"], r["stdout"][:2000], r["stderr"][:2000]), file=sys.stderr)
        current["request"] = None
        result["status"] = "ok"
    except Timeout:
        result["status"] = "timeout"
        if result["phase"] == "cells" and current["cell"] is not None:
            c = current["cell"]
            result["cellIndex"] = c["index"]
            result["message"] = "the notebook did not finish within %s s; it was still running cell %d (%s) — an infinite loop?" % (
                job["timeout"],
                c["index"] + 1,
                first_line(c["source"], 60),
            )
        else:
            result["message"] = "the notebook did not finish within %s s; it was still computing the answers for %s" % (job["timeout"], current.get("request"))
    except Dead:
        proc, _ = kernel_process(km)
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                code = proc.poll()
        status, message = classify_death(code, tail(stderr_file))
        result["status"] = status
        if result["phase"] == "cells" and current["cell"] is not None:
            c = current["cell"]
            result["cellIndex"] = c["index"]
            message += " while running cell %d (%s)" % (c["index"] + 1, first_line(c["source"], 60))
        elif current.get("request"):
            message += " while computing the answers for %s" % current["request"]
        result["message"] = message
    finally:
        if os.environ.get("TINY_LLM_GRADE_DEBUG"):
            proc, _ = kernel_process(km)
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    print("kernel " + " ".join(l.strip() for l in f if l.startswith(("VmHWM", "VmPeak"))), file=sys.stderr)
            except Exception:  # noqa: BLE001
                pass
        kill_group(km)
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        except Exception:  # noqa: BLE001
            pass
        result["leftovers"] = sweep()
        errf.close()


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
