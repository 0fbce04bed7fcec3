"""nbgrader settings for the course's TypeScript notebooks (the tslab kernel "tiny-llm-ts").

An nbgrader course folder made by `npm run nbgrader -- init DIR` has an nbgrader_config.py that
imports this file and calls `configure(c, checkout)`. What it changes, and why:

* ClearSolutions.code_stub["typescript"]: nbgrader replaces each `// BEGIN SOLUTION` …
  `// END SOLUTION` block by the stub of the notebook's kernel language ("typescript" for tslab;
  nbgrader knows only Python, R, MATLAB, Octave, SAS and Java). The stub throws, like
  `npm run student`'s, so the function keeps its signature and later cells still type-check.
* TslabClearSolutions / TslabClearHiddenTests: nbgrader looks for "BEGIN SOLUTION" anywhere in
  any cell, so a chapter's prose that mentions `// BEGIN SOLUTION` and `// END SOLUTION` on one line
  stops generate_assignment ("no end solution statement found"). These read markers only as whole
  comment lines — `// BEGIN SOLUTION`, `// END SOLUTION`, `// BEGIN HIDDEN TESTS`,
  `// END HIDDEN TESTS` — as lib/tools/grader/course.ts does, and leave prose alone.
* Execute.timeout: nbgrader's default is 30 s per cell; the first cell (setupBackend, compiling
  the lib) takes longer on a busy machine. 600 s, as `npm run notebooks`.
* TslabExecute replaces nbgrader's Execute in autograde and validate:
  - tslab answers every execute request that arrives within 200 ms of a failed cell with
    status "abort" and runs nothing (tslab's jupyter.js, `execQueue.reset(200)`; it ignores
    Jupyter's `stop_on_error`). nbgrader sends the next cell at once, so the cell after any error
    (a student's TypeScript error, say) would be skipped with no output — and a check cell
    without output earns full points in nbgrader. TslabExecute waits and runs an aborted cell
    again (up to 5 times), as lib/tools/grader/run_submission.py does.
  - tslab's reply to a failed cell has no ename/evalue/traceback (the error text goes to stderr);
    nbgrader's Execute reads them, and its KeyError would fail the whole submission. TslabExecute
    fills them in, so nbgrader adds an error output to the cell as for any kernel.
  - the notebooks import "./lib/…" and "@tensorflow/tfjs": nbgrader runs a submission in
    autograded/<student>/<assignment>/ and copies no symlinked folder there, so TslabExecute
    links `lib` and `node_modules` of the checkout into that folder while the notebook runs,
    and removes the links afterwards (only links it made).
* Checks: `check()` (lib/exercises/check.ts) writes its failure to stderr when nbgrader runs
  the notebook (nbgrader sets NBGRADER_EXECUTION); nbgrader scores a grade cell 0 when its
  output has an error or a stderr stream, and full points otherwise.
"""
import asyncio
import os
import re

from nbclient.util import run_sync
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, Execute

TYPESCRIPT_STUB = '// Your code here.\nthrow new Error("Exercise not implemented yet");'
CELL_TIMEOUT = 600
ABORT_RETRIES = 5


BEGIN_SOLUTION = re.compile(r"^\s*//\s*BEGIN SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*//\s*BEGIN HIDDEN TESTS\s*$")


def _has_marker(cell, pattern):
    return cell.cell_type == "code" and any(pattern.match(line) for line in cell.source.split("\n"))


class TslabClearSolutions(ClearSolutions):
    """ClearSolutions for cells whose markers are whole `// BEGIN SOLUTION` lines; prose is left alone."""

    def _replace_solution_region(self, cell, language):
        if not _has_marker(cell, BEGIN_SOLUTION):
            return False
        return super()._replace_solution_region(cell, language)


class TslabClearHiddenTests(ClearHiddenTests):
    """ClearHiddenTests for whole `// BEGIN HIDDEN TESTS` lines; prose is left alone."""

    def _remove_hidden_test_region(self, cell):
        if not _has_marker(cell, BEGIN_HIDDEN):
            return False
        return super()._remove_hidden_test_region(cell)


class TslabExecute(Execute):
    """nbgrader's Execute for tslab: reruns cells tslab aborted, links lib/ and node_modules/."""

    _tiny_status = None

    def on_cell_executed(self, **kwargs):
        content = kwargs["execute_reply"]["content"]
        self._tiny_status = content.get("status")
        if content.get("status") == "error":
            # tslab's error reply has no ename/evalue/traceback (it prints the error on stderr);
            # nbgrader's Execute reads them and would fail the whole submission with a KeyError.
            content.setdefault("ename", "Error")
            content.setdefault("evalue", "the cell failed (the kernel printed why above)")
            content.setdefault("traceback", [content["evalue"]])
        return super().on_cell_executed(**kwargs)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        for attempt in range(ABORT_RETRIES + 1):
            self._tiny_status = None
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if self._tiny_status not in ("abort", "aborted"):
                return cell
            self.log.info("tslab aborted cell %d (it refuses requests for 200 ms after an error): running it again", cell_index)
            await asyncio.sleep(0.3 * (attempt + 1))
        return cell

    # nbclient binds its synchronous execute_cell to its own async_execute_cell: rebind it to ours.
    execute_cell = run_sync(async_execute_cell)

    def preprocess(self, nb, resources=None, km=None):
        folder = ((resources or {}).get("metadata") or {}).get("path") or os.getcwd()
        made = []
        for name in ("lib", "node_modules"):
            link = os.path.join(folder, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(CHECKOUT, name), link, target_is_directory=True)
                made.append(link)
        try:
            return super().preprocess(nb, resources, km)
        finally:
            for link in made:
                if os.path.islink(link):
                    os.unlink(link)


CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def configure(c, checkout=None):
    """Apply the course's settings to an nbgrader config object `c` (see the module docstring)."""
    global CHECKOUT
    if checkout:
        CHECKOUT = os.path.abspath(checkout)
    from nbgrader.converters import Autograde, GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions
    from nbgrader.validator import Validator

    stubs = dict(ClearSolutions.class_traits()["code_stub"].default())
    stubs["typescript"] = TYPESCRIPT_STUB
    c.ClearSolutions.code_stub = stubs
    c.Execute.timeout = CELL_TIMEOUT
    ours = {ClearSolutions: TslabClearSolutions, ClearHiddenTests: TslabClearHiddenTests}
    c.GenerateAssignment.preprocessors = [ours.get(p, p) for p in GenerateAssignment.class_traits()["preprocessors"].default()]
    c.Autograde.autograde_preprocessors = [TslabExecute if p is Execute else p for p in Autograde.class_traits()["autograde_preprocessors"].default()]
    validator = Validator.class_traits().get("preprocessors")
    if validator is not None:
        c.Validator.preprocessors = [TslabExecute if p is Execute else p for p in validator.default()]
    return c
