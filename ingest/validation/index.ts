export { adaptiveValidation, createValidationPool, inlineValidation, type AdaptiveValidationOptions, type ValidationPool, type ValidationPoolOptions } from './validation-pool.ts';
export { canonicalAt, validateBlock, validateLines, type LineRejection, type ValidatedBlock, type ValidatedLines } from './validate-lines.ts';
