/** The learning-rate schedule: linear warmup, then cosine decay (or constant). */

export interface ScheduleOptions {
  /** Peak learning rate. */
  lr: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  minLr?: number;
  /** Steps of linear warmup from ~0 to lr (default 0). */
  warmupSteps?: number;
  /** Total steps (the cosine reaches minLr here). */
  totalSteps: number;
  /** "cosine" (default) or "constant" (after warmup). */
  schedule?: "cosine" | "constant";
}

/** Learning rate at `step` (0-based): linear warmup, then cosine decay to minLr. */
export function learningRate(step: number, o: ScheduleOptions): number {
  const minLr = o.minLr ?? o.lr / 10;
  const warmup = o.warmupSteps ?? 0;
  if (step < warmup) return (o.lr * (step + 1)) / warmup;
  if (o.schedule === "constant") return o.lr;
  const span = Math.max(1, o.totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
