// SPDX-License-Identifier: Apache-2.0
// A whole sale on the cashier screen in Simplified Chinese, in headless
// Chromium against the real store-agent --demo of a Chinese store
// ([store] locale = "zh-CN"): the screen starts in the store's language, the
// EN / 中文 toggle switches it (and is kept on the device), then log in, open
// the till, scan a unit, pay cash, the receipt, the X report and the Z report,
// every step in Chinese with none of its English labels left. The receipt
// and the reports are laid out by the agent in the store's language. Every
// step waits on DOM state, never on fixed sleeps; any page or console error
// fails.
//
//   SA_STORE_AGENT, SA_STORECTL, SA_OMS_SIM   the binaries (CTest sets them)
//   SA_BROWSER_ARTIFACTS                      where screenshots go
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lib = require('./lib');

const TOTE = '06950123450036';   // demo catalog: Canvas tote (帆布托特包), ¥129.00
const CASHIER = { id: 'c3', name: '王芳', pin: '3579' };

let agent, browser, till;

test.before(async () => {
  agent = await lib.Agent.start({ config: '[store]\nlocale = "zh-CN"\n' });
  await agent.addCashier(CASHIER);
  browser = await lib.launchBrowser();
  till = await lib.newPage(browser);
});

test.afterEach(async (t) => {
  if (!agent || !t || t.passed !== false) return;
  const scans = await agent.api('GET', '/v1/scans?limit=10').catch(() => null);
  console.log('agent scans:', scans && scans.text);
  if (till) await lib.screenshot(till.page, 'failed-zh').catch(() => {});
});

test.after(async () => {
  if (browser) await browser.close();
  if (agent) await agent.stop();
  if (agent && agent.dir) fs.rmSync(agent.dir, { recursive: true, force: true });
});

function noProblems(p) {
  assert.deepEqual(p.page.problems, [], 'page errors or console errors');
}

async function text(page, sel) {
  return (await page.locator(sel).textContent()).trim();
}

async function pin(page, digits) {
  for (const d of digits) await page.click(`#pinpad button[data-key="${d}"]`);
}

// What the cashier sees: the page's visible text (hidden views and closed
// dialogs are not in innerText).
function visibleText(page) {
  return page.evaluate(() => document.body.innerText);
}

// None of `labels` (English texts of the step) is on the screen.
async function noEnglish(page, labels) {
  const seen = await visibleText(page);
  const left = labels.filter((l) => seen.includes(l));
  assert.deepEqual(left, [], 'English left on the screen:\n' + seen);
}

// The language shown: <html lang> and the toggle's pressed button.
async function waitLocale(page, locale) {
  await page.locator(`html[lang="${locale}"]`).waitFor({ state: 'attached' });
  await page.locator(`[data-locale="${locale}"].active`).waitFor();
}

test('the screen starts in the store’s language; EN / 中文 switches it and is kept on the device', async () => {
  const { page } = till;
  const cfg = await (await fetch(agent.url + '/v1/messages')).json();
  assert.equal(cfg.store_locale, 'zh-CN');

  await page.goto(agent.url + '/');
  await page.locator('#view-login').waitFor();
  await waitLocale(page, 'zh-CN');
  assert.equal(await text(page, '#view-login h1'), '收银员登录');
  assert.equal(await text(page, '#login-submit'), '登录');
  assert.equal(await page.title(), '收银台 — store-agent');
  await noEnglish(page, ['Cashier log in', 'Cashier ID', 'Log in', 'This till', 'Clear']);

  // English, chosen on this device: kept over the store's language.
  await page.click('[data-locale="en"]');
  await waitLocale(page, 'en');
  await page.locator('#view-login h1', { hasText: 'Cashier log in' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('sa.locale')), 'en');
  await page.reload();
  await page.locator('#view-login').waitFor();
  await waitLocale(page, 'en');
  assert.equal(await text(page, '#view-login h1'), 'Cashier log in');

  await page.click('[data-locale="zh-CN"]');
  await waitLocale(page, 'zh-CN');
  await page.locator('#view-login h1', { hasText: '收银员登录' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('sa.locale')), 'zh-CN');
  noProblems(till);
});

test('a whole sale in Chinese: log in, open the till, scan, pay cash, receipt, X report, close, Z report', async () => {
  const { page } = till;
  // A wrong PIN is refused in Chinese words.
  await page.fill('#login-id', CASHIER.id);
  await pin(page, '0000');
  await page.click('#login-submit');
  await page.locator('#login-error', { hasText: '收银员工号或密码错误' }).waitFor();
  await lib.screenshot(page, 'zh-01-login');

  await pin(page, CASHIER.pin);
  await page.click('#login-submit');
  await page.locator('#view-open-shift').waitFor();
  assert.equal(await text(page, '#view-open-shift h1'), '开班');
  assert.equal(await text(page, '#open-shift-submit'), '开班');
  await noEnglish(page, ['Open the till', 'Open shift', 'Float in the drawer', 'Log out']);
  await page.fill('#float-amount', '200');
  await page.click('#open-shift-submit');
  await page.locator('#view-sale').waitFor();
  await page.locator('#toast.ok', { hasText: '已开班' }).waitFor();
  await page.locator('#hdr-live', { hasText: '在线' }).waitFor();
  assert.equal(await text(page, '#cart-empty'), '扫描商品开始收银');
  assert.equal(await text(page, '#btn-pay'), '结账');
  assert.equal(await text(page, '#btn-return'), '退货');
  assert.equal(await text(page, '#btn-x-report'), 'X 报表');
  assert.equal(await text(page, '#btn-close-shift'), '交班');

  // A unit through the till's scanner.
  const { codes } = await agent.codes(1, TOTE);
  await agent.scan(codes[0]);
  // The product's name from the catalog in Chinese (name_zh), not the English one.
  const line = page.locator(`#cart li.line[data-gtin="${TOTE}"]`);
  await line.locator('.line-name', { hasText: '帆布托特包' }).waitFor();
  assert.doesNotMatch(await line.textContent(), /Canvas tote/);
  await page.locator('#sale-total', { hasText: '¥129.00' }).waitFor();
  assert.match(await text(page, '#sale-no'), /^交易 \S+$/);
  assert.match(await line.locator('.line-serial').textContent(), /^序列号 \S+$/);
  assert.equal(await text(page, '#member-text'), '非会员');
  await noEnglish(page, ['Cart', 'Total', 'Scan an item', 'Member', 'No member', 'Pay', 'Void sale', 'Remove',
    'Serial', 'Sale ', 'Close shift', 'X report', 'live']);
  await lib.screenshot(page, 'zh-02-cart');

  // Switched mid-sale: what the script wrote is written again.
  await page.click('[data-locale="en"]');
  await waitLocale(page, 'en');
  await page.locator('#sale-no', { hasText: /^Sale \S+$/ }).waitFor();
  assert.equal(await text(page, '#btn-pay'), 'Pay');
  assert.equal(await text(page, '#hdr-live'), 'live');
  assert.match(await line.locator('.line-serial').textContent(), /^Serial \S+$/);
  assert.equal(await text(line, '.line-name'), 'Canvas tote');  // the catalog's English name
  await page.click('[data-locale="zh-CN"]');
  await waitLocale(page, 'zh-CN');
  await page.locator('#sale-no', { hasText: /^交易 \S+$/ }).waitFor();
  assert.equal(await text(page, '#hdr-live'), '在线');
  assert.equal(await text(page, '#btn-pay'), '结账');
  assert.equal(await text(line, '.line-name'), '帆布托特包');

  // Cash: ¥200 for ¥129.00, ¥71.00 change.
  await page.click('#btn-pay');
  await page.locator('#dlg-pay[open]').waitFor();
  assert.equal(await text(page, '#pay-title'), '收款');
  assert.equal(await text(page, '#pay-methods [data-method="cash"]'), '现金');
  assert.equal(await text(page, '#pay-methods [data-method="wechat"]'), '微信支付');
  await page.click('#pay-methods [data-method="cash"]');
  await page.fill('#pay-tendered', '200');
  await page.locator('#pay-change', { hasText: '¥71.00' }).waitFor();
  assert.equal(await text(page, '#pay-submit'), '完成收款');
  await noEnglish(page, ['Payment', 'Cash', 'WeChat Pay', 'Cash received', 'Change', 'Complete sale', 'Back', 'Exact']);
  await page.click('#pay-submit');

  await page.locator('#view-receipt').waitFor();
  await page.locator('#receipt-change', { hasText: '找零：¥71.00' }).waitFor();
  const sale = await agent.until('/v1/terminals/till-1', (t) => !t.open_sale, 'the sale closed');
  assert.ok(sale);
  assert.match(await text(page, '#receipt-title'), /^已付款 — 小票 \S+$/);
  // The receipt as the agent lays it out in the store's language.
  const receipt = page.locator('#receipt-text', { hasText: '合计' });
  await receipt.waitFor();
  const r = await receipt.textContent();
  for (const word of ['合计', '现金', '找零', '帆布托特包', '129.00', '71.00']) assert.ok(r.includes(word), word + ' in:\n' + r);
  assert.equal(await text(page, '#btn-next'), '下一位顾客');
  assert.equal(await text(page, '#btn-print'), '打印小票');
  await noEnglish(page, ['Paid', 'Change to give', 'TOTAL', 'Next customer', 'Print receipt', 'receipt ',
    'Scan to add this purchase']);
  await lib.screenshot(page, 'zh-03-receipt');

  // The X report of the open shift, laid out by the agent.
  await page.click('#btn-x-report');
  await page.locator('#dlg-xreport[open]').waitFor();
  const x = page.locator('#x-text', { hasText: 'X 报表' });
  await x.waitFor();
  const xText = await x.textContent();
  assert.match(xText, /销售\s+x1\s+129\.00/, xText);
  assert.match(xText, /备用金\s+200\.00/, xText);
  assert.equal(await text(page, '#dlg-xreport h2'), '本班次至今（X 报表）');
  await noEnglish(page, ['X REPORT', 'sales', 'opening cash', 'Refresh', 'Close', 'Shift so far']);
  await lib.screenshot(page, 'zh-04-x-report');
  await page.click('#xreport-close');
  await page.locator('#dlg-xreport').waitFor({ state: 'hidden' });

  // Close the shift: ¥200 float + ¥200 taken - ¥71 change = ¥329 in the drawer.
  await page.click('#btn-close-shift');
  await page.locator('#dlg-close[open]').waitFor();
  assert.equal(await text(page, '#dlg-close h2'), '交班');
  await noEnglish(page, ['Close shift', 'Count the cash', 'Counted cash', 'Cancel']);
  await page.fill('#close-counted', '329');
  await page.click('#close-submit');
  await page.locator('#view-zreport').waitFor();
  const z = page.locator('#z-text', { hasText: 'Z 报表' });
  await z.waitFor();
  const zText = await z.textContent();
  assert.match(zText, /销售\s+x1\s+129\.00/, zText);
  assert.match(zText, /实点现金\s+329\.00/, zText);
  assert.match(zText, /应有现金\s+329\.00/, zText);
  assert.equal(await text(page, '#view-zreport h1'), '日结（Z 报表）');
  assert.equal(await text(page, '#btn-z-new'), '开新班次');
  assert.equal(await text(page, '#btn-z-logout'), '退出登录');
  await noEnglish(page, ['Z REPORT', 'End of day', 'sales', 'expected', 'counted', 'Open a new shift', 'Log out',
    'X report', 'Close shift']);
  await lib.screenshot(page, 'zh-05-z-report');

  await page.click('#btn-z-logout');
  await page.locator('#view-login').waitFor();
  assert.equal(await text(page, '#view-login h1'), '收银员登录');
  noProblems(till);
});
