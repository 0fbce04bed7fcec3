/**
 * Which cells of a (restored) submission the grader runs: fast grading.
 *
 * A chapter's experiments train models for minutes; its exercises need only a few cells.
 * The grader runs, in notebook order:
 *   1. the **setup cells**: code cells whose metadata has `"tags": ["setup"]` in the course
 *      notebook (imports, `setupBackend()`, `seed()`, data an exercise reads) — matched by the
 *      course's tag or by cell id, so a learner who loses the tag loses nothing;
 *   2. the **exercise cells**: every nbgrader solution cell. Check cells are not run: in the
 *      learner's notebook they only *show* a result; the grader asks the same questions
 *      itself (grade.ts), so running them would only call each function twice — and a
 *      function that hangs would cost two time limits instead of one;
 *   3. any other code cell that declares a name (function, const, class, type, import …)
 *      that a cell already chosen uses — so a helper a learner wrote in a cell of their own
 *      still runs, and so does an experiment cell a learner's solution reads from (slower,
 *      but right). This is decided statically from the cells' TypeScript, to a fixpoint.
 * Everything else (the experiments, plots, a learner's exploration) is skipped.
 *
 * The course's rule, checked for every chapter by tests/grading-rule.test.ts: with the
 * reference solutions, step 3 adds no cell and every exercise passes.
 */
import * as ts from "typescript";
import { Cell, cellSource, nbgrader, Notebook } from "./notebook";

export const SETUP_TAG = "setup";

export function cellTags(cell: Cell): string[] {
  const t = cell.metadata && (cell.metadata as { tags?: unknown }).tags;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
}

export function isSetupCell(cell: Cell): boolean {
  return cell.cell_type === "code" && cellTags(cell).includes(SETUP_TAG);
}

/** A solution cell (nbgrader `solution: true`): the grader runs it. */
export function isExerciseCell(cell: Cell): boolean {
  return cell.cell_type === "code" && nbgrader(cell)?.solution === true;
}

/** A check cell (nbgrader `grade: true`): the grader does not run it. */
export function isCheckCell(cell: Cell): boolean {
  return cell.cell_type === "code" && nbgrader(cell)?.grade === true;
}

export interface CellNames {
  /** Names the cell declares at its top level (what later cells can use). */
  declares: Set<string>;
  /** Identifiers the cell uses that it does not declare anywhere itself. */
  uses: Set<string>;
}

function bindingNames(name: ts.BindingName, out: Set<string>): void {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
}

/** Top-level declarations and free identifiers of one cell (an over-approximation of "uses"). */
export function cellNames(source: string): CellNames {
  const sf = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declares = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.name) declares.add(c.name.text);
      const b = c?.namedBindings;
      if (b && ts.isNamespaceImport(b)) declares.add(b.name.text);
      if (b && ts.isNamedImports(b)) for (const e of b.elements) declares.add(e.name.text);
    } else if (ts.isImportEqualsDeclaration(st)) declares.add(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bindingNames(d.name, declares);
    else if (
      (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) &&
      st.name
    ) {
      declares.add(st.name.text);
    } else if (ts.isModuleDeclaration(st) && ts.isIdentifier(st.name)) declares.add(st.name.text);
  }
  // Every name declared anywhere in the cell (parameters, locals) is not a use of another cell's name.
  const local = new Set<string>(declares);
  const ids: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const p = node.parent;
      const isDeclName =
        p &&
        (ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isClassDeclaration(p) ||
          ts.isClassExpression(p) || ts.isInterfaceDeclaration(p) || ts.isTypeAliasDeclaration(p) || ts.isEnumDeclaration(p) || ts.isTypeParameterDeclaration(p) ||
          ts.isBindingElement(p) || ts.isImportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) &&
        (p as { name?: ts.Node }).name === node;
      const isMember =
        p &&
        ((ts.isPropertyAccessExpression(p) && p.name === node) ||
          ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p) ||
            ts.isEnumMember(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) &&
            p.name === node) ||
          (ts.isQualifiedName(p) && p.right === node) ||
          (ts.isBindingElement(p) && p.propertyName === node) ||
          (ts.isImportSpecifier(p) && p.propertyName === node) ||
          ts.isLabeledStatement(p) ||
          ts.isBreakOrContinueStatement(p));
      if (isDeclName) local.add(node.text);
      else if (!isMember) ids.push(node.text);
    } else if (ts.isShorthandPropertyAssignment(node)) {
      ids.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const uses = new Set(ids.filter((n) => !local.has(n)));
  return { declares, uses };
}

export type PlanReason = "setup" | "exercise" | "needed";

export interface PlannedCell {
  /** Index in the notebook (0-based). */
  index: number;
  reason: PlanReason;
  /** For reason "needed": the names that made it needed. */
  names?: string[];
  /** For reason "needed": the first chosen cell that uses them. */
  neededBy?: number;
}

/**
 * The cells to run, in order. `setupIds` are the cell ids of the course's setup cells
 * (a submission's cell with such an id is a setup cell even if its tags were edited away).
 */
export function planCells(nb: Notebook, setupIds: Set<string> = new Set()): PlannedCell[] {
  const code = nb.cells.map((c, index) => ({ c, index })).filter(({ c }) => c.cell_type === "code" && cellSource(c).trim() !== "" && !isCheckCell(c));
  const names = new Map<number, CellNames>();
  const namesOf = (i: number): CellNames => {
    let n = names.get(i);
    if (!n) {
      n = cellNames(cellSource(nb.cells[i]));
      names.set(i, n);
    }
    return n;
  };
  const chosen = new Map<number, PlannedCell>();
  for (const { c, index } of code) {
    if (isCheckCell(c)) continue;
    if (isExerciseCell(c)) chosen.set(index, { index, reason: "exercise" });
    else if (isSetupCell(c) || (typeof c.id === "string" && setupIds.has(c.id))) chosen.set(index, { index, reason: "setup" });
  }
  // Pull in earlier cells that declare what chosen cells use, until nothing changes.
  // A name counts as provided if a chosen cell before the user already declares it.
  for (let changed = true; changed; ) {
    changed = false;
    const order = [...chosen.keys()].sort((a, b) => a - b);
    for (const user of order) {
      for (const name of namesOf(user).uses) {
        if (order.some((k) => k < user && namesOf(k).declares.has(name))) continue;
        // The nearest earlier unchosen cell that declares it (the one the learner's run saw last).
        const provider = [...code].reverse().find(({ index }) => index < user && !chosen.has(index) && namesOf(index).declares.has(name));
        if (!provider) continue;
        const names = [...namesOf(provider.index).declares].filter((n) => namesOf(user).uses.has(n)).sort();
        chosen.set(provider.index, { index: provider.index, reason: "needed", names, neededBy: user });
        changed = true;
      }
      if (changed) break;
    }
  }
  return [...chosen.values()].sort((a, b) => a.index - b.index);
}

/** Cell ids of a course notebook's setup cells. */
export function setupCellIds(nb: Notebook): Set<string> {
  return new Set(nb.cells.filter((c) => isSetupCell(c) && typeof c.id === "string").map((c) => c.id as string));
}

/** Does the notebook tag any setup cell? (A notebook without any is graded by running every code cell.) */
export function hasSetupTags(nb: Notebook): boolean {
  return nb.cells.some(isSetupCell);
}

/** One line per cell the course's own reference notebook needs but does not tag: the fix. */
export function untaggedNeeds(nb: Notebook, name: string): string[] {
  return planCells(nb)
    .filter((p) => p.reason === "needed")
    .map((p) => {
      const first = cellSource(nb.cells[p.index]).trim().split("\n")[0].slice(0, 60);
      return `${name}, cell ${p.index + 1} (${first}): declares ${p.names?.join(", ")}, used by cell ${(p.neededBy ?? 0) + 1} — add "tags": ["${SETUP_TAG}"] to its metadata`;
    });
}
