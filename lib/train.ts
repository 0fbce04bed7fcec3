/**
 * Training: one loop for every model and objective of the course.
 *
 *   const result = await train(nextTokenTask(model, { train: ids, val: valIds }, { batchSize: 16 }), {
 *     steps: 500, lr: 1e-3, onStep: (info) => progress.update(info),
 *   });
 *
 *   training/loop.ts       train(task, options), Trainer (one step), TrainingDivergedError
 *   training/tasks.ts      nextTokenTask, instructionTask, seq2seqTask, estimateLoss
 *   training/batches.ts    sampleBatch, padSequences, promptResponseBatch, seq2seqBatch
 *   training/optimizer.ts  AdamW, clipByGlobalNorm (and adamWArrays: the same update on plain arrays)
 *   training/dataParallel.ts  one step on 2 worker threads: shards of the batch, summed gradients, sharded AdamW
 *   training/schedule.ts   learningRate (warmup + cosine)
 *   training/finetune.ts   stage 2: the prompt template, fine-tuning variants (full, LoRA, last block, …), FINETUNE_RECIPE
 *   training/recipes.ts    pretrain, BASE_RECIPE (the committed base model), LIVE_RECIPE (chapter 06), runPretrainRecipe
 *   training/scaling.ts    compute budgets: computeParams, trainingFlops (6·N·D), stepsForBudget, scalingRun
 *   training/inContext.ts  the in-context (few-shot) task: fresh key → label mappings, accuracy by shots
 *
 * Stage 3's tasks (reward model, DPO) live in lib/align.ts and use the same loop.
 * Notebooks: `import { train, nextTokenTask } from "./lib/train";`
 */
export { train, Trainer, TrainingDivergedError } from "./training/loop";
export type { TrainingTask, TrainOptions, TrainResult, StepInfo } from "./training/loop";
export { nextTokenTask, instructionTask, seq2seqTask, estimateLoss, promptResponseLoss } from "./training/tasks";
export type { NextTokenOptions, InstructionOptions, Seq2SeqTaskOptions } from "./training/tasks";
export { sampleBatch, padSequences, promptResponseBatch, seq2seqBatch } from "./training/batches";
export type { Batch, PaddedBatch, PromptResponse, PromptResponseBatch, PromptResponseOptions, Seq2SeqBatch, Seq2SeqBatchOptions } from "./training/batches";
export { AdamW, clipByGlobalNorm } from "./training/optimizer";
export { DataParallel, stopWorkers } from "./training/dataParallel";
export type { TaskReplica, LossBatch } from "./training/dataParallel";
export type { AdamWOptions } from "./training/optimizer";
export { learningRate } from "./training/schedule";
export type { ScheduleOptions } from "./training/schedule";
export { pretrain, BASE_RECIPE, LIVE_RECIPE, baseTokenizer, trainBaseModel, runPretrainRecipe, DRAFT_RECIPE, trainDraftModel } from "./training/recipes";
export type { PretrainKnobs, PretrainRecipe, RecipeRunOptions, BaseRun } from "./training/recipes";
export { IN_CONTEXT_SPEC, inContextSpec, inContextVocabSize, inContextSequence, inContextBatch, inContextTask, inContextAccuracy } from "./training/inContext";
export type { InContextSpec, InContextSequence, ShotAccuracy } from "./training/inContext";
export { SCALING_RECIPE, computeParams, trainingFlops, stepsForBudget, scalingRun, scalingData, optimalParams } from "./training/scaling";
export type { ScalingSize, ScalingKnobs, ScalingPoint } from "./training/scaling";
export { SFT_TOKENS, PROMPT_TEMPLATE, formatPrompt, encodeExample, instructionExamples, FINETUNE_VARIANTS, withoutTargets, finetune, MENTION_BUCKETS, mentionBucket, scoreQuestions, answerLoss, answerQuestion, FINETUNE_RECIPE, trainFineTunedModel } from "./training/finetune";
export type { TextTokenizer, InstructionExamples, FinetuneVariant, FinetuneKnobs, FinetuneRun, MentionBucket, QuestionScore, Answer, FineTunedRun } from "./training/finetune";
export { translationData, numberAlignment, decoderOnlyExamples, makeTranslator, translatorTask, exactMatches, exactMatchRate, translate, crossAttentionMap, rowsAllCorrect, SPECIAL_TOKENS } from "./training/translation";
export type { AlignedToken, TranslationData, TranslationPair, TranslationKind, TranslatorVariant, TranslatorSize } from "./training/translation";
export { CAPSTONE_KNOBS, CAPSTONE_STAGES, runCapstone, pipelineNumbers, charsPerToken, generationSpeed, measureCourse } from "./training/capstone";
export type { CapstoneKnobs, CapstoneStage, CapstoneScorecard, CapstoneRun, CapstoneOptions, PipelineNumbers, CourseModels, CourseMeasureOptions } from "./training/capstone";
