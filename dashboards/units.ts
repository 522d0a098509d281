/**
 * Figures as people who read Chinese read them: 116.95万, 17.48亿. Exact to two
 * decimals, trailing zeros dropped; below 10,000 the plain number. The code is
 * in viewer/units.js, which the browser viewer loads as it is.
 */
export { formatChineseUnits, formatThousands } from './viewer/units.js';
