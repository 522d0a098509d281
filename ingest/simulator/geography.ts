/**
 * Who serves where, and how many people live there: the weights the simulator
 * spreads totals by. Populations are year-end 2019 figures in 10,000s
 * (国家统计局), rounded; they only need to be roughly right.
 */

export const PROVINCE_POPULATION: Readonly<Record<string, number>> = {
  '110000': 2154, // 北京
  '120000': 1562, // 天津
  '130000': 7592, // 河北
  '140000': 3729, // 山西
  '150000': 2540, // 内蒙古
  '210000': 4352, // 辽宁
  '220000': 2691, // 吉林
  '230000': 3751, // 黑龙江
  '310000': 2428, // 上海
  '320000': 8070, // 江苏
  '330000': 5850, // 浙江
  '340000': 6366, // 安徽
  '350000': 3973, // 福建
  '360000': 4666, // 江西
  '370000': 10070, // 山东
  '410000': 9640, // 河南
  '420000': 5927, // 湖北
  '430000': 6918, // 湖南
  '440000': 11521, // 广东
  '450000': 4960, // 广西
  '460000': 945, // 海南
  '500000': 3124, // 重庆
  '510000': 8375, // 四川
  '520000': 3623, // 贵州
  '530000': 4858, // 云南
  '540000': 351, // 西藏
  '610000': 3876, // 陕西
  '620000': 2647, // 甘肃
  '630000': 608, // 青海
  '640000': 695, // 宁夏
  '650000': 2523, // 新疆
};

export const MAINLAND_PROVINCES: readonly string[] = Object.keys(PROVINCE_POPULATION);

export const HUBEI = '420000';
export const WUHAN = '420100';
export const WUHAN_POPULATION = 1121;
export const SHANGHAI = '310000';
export const GUANGDONG = '440000';
export const SHENZHEN = '440300';

/** China Southern Power Grid serves five provinces; State Grid the rest of the mainland. */
export const CSG_PROVINCES: readonly string[] = ['440000', '450000', '460000', '520000', '530000'];
export const SGCC_PROVINCES: readonly string[] = MAINLAND_PROVINCES.filter((p) => !CSG_PROVINCES.includes(p));

/**
 * China Resources Gas in Hubei: the article names Wuhan, Xiangyang and
 * Qianjiang among 18 cities; the others here are illustrative. Weights follow
 * the size of each city's gas customer base, Wuhan far ahead.
 */
export const CR_GAS_HUBEI: ReadonlyArray<readonly [region: string, weight: number]> = [
  ['420100', 52], // 武汉
  ['420600', 12], // 襄阳
  ['429005', 6], // 潜江
  ['429004', 4], // 仙桃
  ['429006', 3], // 天门
  ['420900', 6], // 孝感
  ['421100', 5], // 黄冈
  ['420700', 4], // 鄂州
  ['421200', 4], // 咸宁
  ['421300', 4], // 随州
];

/** Cities outside Hubei for China Resources Gas in the realistic mix; illustrative. */
export const CR_GAS_OTHER_CITIES: readonly string[] = ['320100', '320200', '320500', '510100', '410100', '370100', '350100', '500100'];
