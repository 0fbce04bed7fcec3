"""Execute one notebook top to bottom with nbclient, like a user's "Run All".

Called by lib/tools/cli/notebooks.ts (`npm run notebooks`), which puts this checkout's kernel
first on JUPYTER_PATH. Never writes into the notebook: it is executed in memory, and
--save writes the executed copy elsewhere. Stops at the first failing cell and writes a
JSON result (what failed, with the cell's stderr stream, where tslab puts TypeScript errors).

usage: run_notebook.py NOTEBOOK RESULT_JSON [--kernel NAME] [--cwd DIR] [--timeout S]
                       [--startup-timeout S] [--save FILE] [--verbose]
"""
import argparse
import asyncio
import json
import sys
import time


def text_of(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def stream_text(cell, name):
    return "".join(text_of(o.get("text")) for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == name)


def error_output(cell):
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return o
    return None


def kernel_peak_mb(client):
    """Peak resident memory (VmHWM) of the kernel process so far, in MB; None if unknown."""
    try:
        pid = client.km.provisioner.process.pid
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except Exception:
        return None
    return None


STRAY_MARKERS = ("UncaughtException:", "UnhandledPromiseRejection:")


def stray_errors(cell):
    """What tslab printed for an error thrown outside the cell's own flow (a timer, a promise
    nobody awaited): the kernel lives on, so the cell counts as run, but the runner shows it."""
    text = stream_text(cell, "stderr")
    starts = [text.find(m) for m in STRAY_MARKERS if m in text]
    if not starts:
        return ""
    return "\n".join(text[min(starts):].splitlines()[:8])


def kernel_exit(process):
    """How the kernel process ended, e.g. " (exit code 7)" or " (signal 9)"; "" if unknown."""
    try:
        code = process.wait(timeout=5)
    except Exception:
        return ""
    if code is None:
        return ""
    return " (signal %d)" % -code if code < 0 else " (exit code %d)" % code


async def run(args, result):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        nb = nbformat.read(args.notebook, as_version=4)
    except Exception as e:  # invalid JSON or not a notebook
        result["failure"] = {"kind": "invalid", "ename": type(e).__name__, "evalue": str(e)}
        return
    cells = nb.cells
    code_cells = [i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.strip()]
    result["cells"] = len(cells)
    result["codeCells"] = len(code_cells)
    declared = nb.metadata.get("kernelspec", {}).get("name")
    if declared and declared != args.kernel:
        result["warning"] = "the notebook's kernelspec is %r; ran it with %r" % (declared, args.kernel)

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=False,
        resources={"metadata": {"path": args.cwd}},
    )
    current = {"index": None}

    def failure(kind, index, ename, evalue, traceback):
        cell = cells[index] if index is not None else None
        f = {"kind": kind, "ename": ename, "evalue": evalue, "traceback": traceback}
        if cell is not None:
            f.update(
                cellIndex=index,
                codeCellNumber=code_cells.index(index) + 1 if index in code_cells else None,
                source=cell.source,
                stderr=stream_text(cell, "stderr"),
                stdout=stream_text(cell, "stdout"),
            )
            err = error_output(cell)
            if err is not None and not traceback:
                f["traceback"] = err.get("traceback", [])
        result["failure"] = f

    try:
        async with client.async_setup_kernel():
            result["kernelStarted"] = True
            try:
                current["process"] = client.km.provisioner.process
            except Exception:
                pass
            for n, index in enumerate(code_cells):
                current["index"] = index
                t = time.time()
                if args.verbose:
                    print("  cell %d (code cell %d/%d)..." % (index + 1, n + 1, len(code_cells)), file=sys.stderr, flush=True)
                try:
                    await client.async_execute_cell(cells[index], index)
                finally:
                    peak = kernel_peak_mb(client)
                    if peak is not None:
                        result["peakMB"] = max(peak, result.get("peakMB", 0))
                result["executed"] = n + 1
                stray = stray_errors(cells[index])
                if stray:
                    result.setdefault("strayErrors", []).append({"cellIndex": index, "codeCellNumber": n + 1, "text": stray})
                if args.verbose:
                    print("  cell %d done in %.1f s" % (index + 1, time.time() - t), file=sys.stderr, flush=True)
            result["completed"] = True
    except CellExecutionError as e:
        failure("error", current["index"], e.ename, e.evalue, [])
    except CellTimeoutError as e:
        failure("timeout", current["index"], "Timeout", "cell did not finish within %s s (raise it with --timeout)" % args.timeout, [str(e)])
    except DeadKernelError as e:
        failure("dead", current["index"], "DeadKernelError", "the kernel died (out of memory? a crash in native code?): %s%s" % (e, kernel_exit(current.get("process"))), [])
    except Exception as e:  # kernel did not start, no such kernel, ...
        failure("startup" if not result.get("kernelStarted") else "error", current["index"], type(e).__name__, str(e), [])
    finally:
        if args.save:
            # Record how the run went in the saved copy, so `npm run site` renders only complete runs.
            nb.metadata["tiny_llm_run"] = {
                "completed": bool(result.get("completed")) and "failure" not in result,
                "codeCells": len(code_cells),
                "executed": result.get("executed", 0),
            }
            nbformat.write(nb, args.save)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("result")
    ap.add_argument("--kernel", default="tiny-llm-ts")
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--startup-timeout", type=int, default=120)
    ap.add_argument("--save")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    result = {"ok": False, "executed": 0}
    t0 = time.time()
    try:
        asyncio.run(run(args, result))
    except BaseException as e:  # a bug here, or Ctrl-C: never report success
        if "failure" not in result:
            result["failure"] = {"kind": "startup" if not result.get("kernelStarted") else "error", "ename": type(e).__name__, "evalue": str(e)}
        if not isinstance(e, Exception):
            raise
    finally:
        result["seconds"] = time.time() - t0
        result["ok"] = "failure" not in result and result.get("completed", False)
        with open(args.result, "w") as f:
            json.dump(result, f)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
