/** 1169500 → "116.95万", 1748000000 → "17.48亿"; below 10,000 the plain number with separators ("7,500"). */
export declare function formatChineseUnits(value: number): string;
/** 1748000000 → "1,748,000,000"; at most two decimals, trailing zeros dropped. */
export declare function formatThousands(value: number): string;
