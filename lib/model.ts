/**
 * The model core: configs, layers, attention, GPT, encoder–decoder, checkpoints.
 * Notebooks: `import { GPT, gptConfig, countParams } from "./lib/model";`
 */
export * from "./model/config";
export * from "./model/params";
export * from "./model/fastOps";
export * from "./model/layers";
export * from "./model/positional";
export * from "./model/attention";
export * from "./model/block";
export * from "./model/gpt";
export * from "./model/encoderDecoder";
export * from "./model/checkpoint";
