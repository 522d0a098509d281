export { adaptiveValidation, createValidationPool, inlineValidation, type ValidationPool, type ValidationPoolOptions } from './validation-pool.ts';
export { canonicalAt, validateLines, type LineRejection, type ValidatedLines } from './validate-lines.ts';
