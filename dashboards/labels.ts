/**
 * Names for the codes the panels return, in both languages of the viewer.
 * Orgs and provinces come from the catalog; the other codes are the event
 * catalog's enumerations.
 */
import type { Catalog } from '../schemas/index.ts';
import type { Codes, Text } from './model.ts';

const FIXED: Record<Exclude<Codes, 'org' | 'province'>, Record<string, Text>> = {
  service: {
    power: { zh: '电力', en: 'Power' },
    telecom: { zh: '通信', en: 'Telecom' },
    gas: { zh: '燃气', en: 'Gas' },
    water: { zh: '供水', en: 'Water' },
  },
  kind: {
    payment: { zh: '缴费', en: 'Payments' },
    service_ticket: { zh: '客服工单', en: 'Service tickets' },
    business: { zh: '业务受理', en: 'Business handled' },
    registration: { zh: '注册', en: 'Registrations' },
    gas_leak: { zh: '燃气泄漏', en: 'Gas leak' },
    outage: { zh: '停电', en: 'Outage' },
    line_fault: { zh: '线路故障', en: 'Line fault' },
    meter: { zh: '表计', en: 'Meter' },
    other: { zh: '其他', en: 'Other' },
  },
  channel: {
    app: { zh: 'App', en: 'App' },
    wechat: { zh: '微信', en: 'WeChat' },
    web: { zh: '网站', en: 'Web' },
    hotline: { zh: '热线', en: 'Hotline' },
    terminal: { zh: '自助终端', en: 'Terminal' },
    counter: { zh: '营业厅', en: 'Counter' },
  },
  priority: {
    urgent: { zh: '紧急', en: 'Urgent' },
    normal: { zh: '一般', en: 'Normal' },
  },
  type: {
    'suspension.waived': { zh: '欠费不停（免停）', en: 'Suspension waived' },
    'disconnection.deferred': { zh: '缓停', en: 'Disconnection deferred' },
    'late_fee.waived': { zh: '减免违约金', en: 'Late fee waived' },
    'online.transaction': { zh: '线上业务', en: 'Online transactions' },
    'repair.reported': { zh: '抢修报修', en: 'Repair reported' },
    'repair.dispatched': { zh: '抢修派单', en: 'Repair dispatched' },
    'repair.arrived': { zh: '抢修到场', en: 'Repair arrived' },
    'repair.completed': { zh: '抢修完成', en: 'Repair completed' },
  },
  online: {
    true: { zh: '线上', en: 'Online' },
    false: { zh: '线下', en: 'Offline' },
  },
};

/** English names of the province-level divisions of GB/T 2260, by the code's first two digits. */
const PROVINCES_EN: Record<string, string> = {
  '11': 'Beijing', '12': 'Tianjin', '13': 'Hebei', '14': 'Shanxi', '15': 'Inner Mongolia', '21': 'Liaoning', '22': 'Jilin',
  '23': 'Heilongjiang', '31': 'Shanghai', '32': 'Jiangsu', '33': 'Zhejiang', '34': 'Anhui', '35': 'Fujian', '36': 'Jiangxi',
  '37': 'Shandong', '41': 'Henan', '42': 'Hubei', '43': 'Hunan', '44': 'Guangdong', '45': 'Guangxi', '46': 'Hainan',
  '50': 'Chongqing', '51': 'Sichuan', '52': 'Guizhou', '53': 'Yunnan', '54': 'Tibet', '61': 'Shaanxi', '62': 'Gansu',
  '63': 'Qinghai', '64': 'Ningxia', '65': 'Xinjiang', '71': 'Taiwan', '81': 'Hong Kong', '82': 'Macao',
};

export type Labels = Record<Codes, Record<string, Text>>;

/** Every code's names: the fixed enumerations, the catalog's orgs and provinces. */
export function labelsFor(catalog: Catalog): Labels {
  const org: Record<string, Text> = {};
  for (const code of catalog.orgCodes) org[code] = { zh: catalog.orgs[code].name_zh, en: catalog.orgs[code].name_en };
  const province: Record<string, Text> = {};
  for (const code of catalog.regionCodes) {
    const region = catalog.regions[code];
    if (region.level === 'province') province[code] = { zh: region.name_zh, en: PROVINCES_EN[code.slice(0, 2)] ?? region.name_zh };
  }
  return { ...FIXED, org, province };
}
