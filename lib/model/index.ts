/**
 * The model core: configs, layers, attention, GPT, encoder–decoder, checkpoints.
 * Notebooks: `import { GPT, gptConfig, countParams } from "./lib/model";`
 */
export * from "./config";
export * from "./params";
export * from "./fastOps";
export * from "./layers";
export * from "./positional";
export * from "./attention";
export * from "./block";
export * from "./gpt";
export * from "./encoderDecoder";
export * from "./checkpoint";
