/**
 * Stage 3 — alignment with human preferences (chapter 08): rankings → pairs → a reward
 * model → RL with a KL leash (RLOO); an AI judge instead of people (RLAIF); DPO without a
 * reward model. All through the one training loop of lib/train.
 *
 *   training/preferences.ts   rankingToPairs, the labelling rule (HUMAN_RULE), textPairs / preferencePairs,
 *                             the gold scorer (answerStyle, answerIsCorrect, goldScore), styleDemonstrations
 *   training/rlhf.ts          bradleyTerryLoss, rewardModelTask, candidateRewards, pairwiseAccuracy,
 *                             referenceModel, klPenalisedReward, rlooAdvantages, rlooTask, evaluatePolicy,
 *                             AIJudge, trainJudge, judgeLabels, judgeReward (RLAIF), dpoLoss, dpoTask
 *
 * Notebooks: `import { rankingToPairs, rewardModelTask, rlooTask, dpoTask } from "./lib/align";`
 */
export { rankingToPairs, HUMAN_RULE, rankByLabelRule, textPairs, preferencePairs, styleDemonstrations, STYLE_MARKERS, answerStyle, statedValues, answerIsCorrect, goldScore } from "./training/preferences";
export type { PreferencePair, LabelRule, TextPair, GoldJudgement, Style } from "./training/preferences";
export {
  STYLE_RECIPE,
  DPO_RECIPE,
  trainAlignedModel,
  trainStyleTunedModel,
  bradleyTerryLoss,
  scoreAnswers,
  rewardModelTask,
  rewardsOf,
  candidateRewards,
  pairwiseAccuracy,
  referenceModel,
  responseLogProbs,
  lengthSortedBatches,
  klPenalisedReward,
  rlooAdvantages,
  rlPrompts,
  rewardModelReward,
  sampleAnswers,
  rlooTask,
  evaluatePolicy,
  judgeWords,
  judgeFeatures,
  AIJudge,
  trainJudge,
  judgeLabels,
  judgeReward,
  dpoLoss,
  pairLogProbs,
  dpoTask,
} from "./training/rlhf";
export type { RLPrompt, RLSample, RewardFn, SamplingKnobs, RLKnobs, RLStepLog, PolicyEvaluation, DPOStepLog, DPOTaskOptions, JudgeFeatures } from "./training/rlhf";
