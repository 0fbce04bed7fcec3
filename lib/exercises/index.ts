export { check, collectAnswers, scoreAnswers, formatResult, onCheck } from "./check";
export type { Answer, CheckOptions } from "./check";
export { allExercises, findExercise } from "./registry";
export { firstDifference, toPlain, preview } from "./compare";
export type { Exercise, ExerciseCase, CheckResult, CaseOutcome } from "./types";
