/**
 * Every exercise of the course, by id. Add one import line per chapter file.
 */
import { Exercise } from "./types";
import { exercises as ch00 } from "./00-introduction";
import { exercises as ch01 } from "./01-tokens";
import { exercises as ch02 } from "./02-self-attention";
import { exercises as ch03 } from "./03-transformer";
import { exercises as ch04 } from "./04-encoder-decoder";
import { exercises as ch05 } from "./05-generation";
import { exercises as ch06 } from "./06-pretraining";
import { exercises as ch07 } from "./07-fine-tuning";
import { exercises as ch08 } from "./08-rlhf";
import { exercises as ch09 } from "./09-hallucination";
import { exercises as ch10, quiz as ch10quiz } from "./10-summary";

export const allExercises: Exercise[] = [...ch00, ...ch01, ...ch02, ...ch03, ...ch04, ...ch05, ...ch06, ...ch07, ...ch08, ...ch09, ...ch10, ...ch10quiz];

/** The exercise with this id, or an error listing the known ids. */
export function findExercise(id: string): Exercise {
  const found = allExercises.find((e) => e.id === id);
  if (!found) {
    const chapter = id.slice(0, 2);
    const near = allExercises.filter((e) => e.id.startsWith(chapter)).map((e) => e.id);
    throw new Error(`Unknown exercise "${id}". Known ids${near.length ? ` in chapter ${chapter}` : ""}: ${(near.length ? near : allExercises.map((e) => e.id)).join(", ")}`);
  }
  return found;
}
