// SPDX-License-Identifier: Apache-2.0
// The cashier screen (/) and the store screen (/store) in headless Chromium
// (Debian's chromium through playwright-core), against the real store-agent
// --demo beside the real oms-sim. Scans go through the demo's virtual
// scanner (a TCP line = a scan on till-1) and the page's keyboard wedge.
// Every test waits on DOM state, never on fixed sleeps, and fails on any
// page error or console error (a CSP violation included).
//
//   SA_STORE_AGENT, SA_STORECTL, SA_OMS_SIM   the binaries (CTest sets them)
//   SA_BROWSER_ARTIFACTS                      where screenshots go
//   SA_WEB_ROOT                               optional: serve the screens from this folder
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lib = require('./lib');

const SCARF = '06950123450005';  // demo catalog: Silk scarf - indigo, ¥599.00
const TOTE = '06950123450036';   // Canvas tote, ¥129.00
const SERUM = '06950123450029';  // Serum 30 ml, ¥458.00
const CASHIER = { id: 'c1', name: 'Ana Li', pin: '1234' };
const MANAGER = { id: 'm1', name: 'Manager Wu', pin: '9876', role: 'manager' };

let cloud, agent, browser, till, store;
const soldLabels = [];

test.before(async () => {
  cloud = await lib.startCloud();
  agent = await lib.Agent.start({ cloud: cloud.url });
  for (const who of [CASHIER, MANAGER]) await agent.addCashier(who);
  browser = await lib.launchBrowser();
  till = await lib.newPage(browser);
  store = await lib.newPage(browser);
});

// What the agent saw, printed when a test fails (the screens' side is in the screenshots).
test.afterEach(async (t) => {
  if (!agent || !t || t.passed !== false) return;
  const scans = await agent.api('GET', '/v1/scans?limit=10').catch(() => null);
  const terms = await agent.api('GET', '/v1/terminals').catch(() => null);
  console.log('agent scans:', scans && scans.text, '\nterminals:', terms && terms.text);
  for (const [name, p] of [['till', till], ['store', store]]) {
    if (p) await lib.screenshot(p.page, 'failed-' + name).catch(() => {});
  }
});

test.after(async () => {
  if (browser) await browser.close();
  if (agent) await agent.stop();
  if (cloud) await cloud.stop();
  for (const d of [agent && agent.dir, cloud && cloud.dir]) {
    if (d) fs.rmSync(d, { recursive: true, force: true });
  }
});

function noProblems(p) {
  assert.deepEqual(p.page.problems, [], 'page errors or console errors');
}

async function pin(page, digits) {
  for (const d of digits) await page.click(`#pinpad button[data-key="${d}"]`);
}

async function text(page, sel) {
  return (await page.locator(sel).textContent()).trim();
}

// The till's open sale as the agent has it.
async function openSale() {
  const t = await agent.api('GET', '/v1/terminals/till-1');
  assert.equal(t.status, 200, t.text);
  if (!t.json.open_sale) return null;
  return (await agent.api('GET', '/v1/sales/' + t.json.open_sale)).json;
}

test('the screens are served from the agent with a strict CSP', async () => {
  for (const [p, type] of [['/', 'text/html'], ['/store', 'text/html'], ['/ui/app.css', 'text/css'],
    ['/ui/common.js', 'javascript'], ['/ui/cashier.js', 'javascript'], ['/ui/store.js', 'javascript']]) {
    const res = await fetch(agent.url + p);
    assert.equal(res.status, 200, p);
    assert.match(res.headers.get('content-type') || '', new RegExp(type), p);
    assert.match(res.headers.get('content-security-policy') || '', /default-src 'self'/, p);
    const body = await res.text();
    assert.doesNotMatch(body, /https?:\/\/(?!id\.brand\.example)[a-z]/i, p + ' refers to nothing outside the agent');
    if (type === 'text/html') {
      assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)/i, p + ': no inline script');
      assert.doesNotMatch(body, /\son[a-z]+\s*=|\sstyle\s*=/i, p + ': no inline handlers or styles');
    }
  }
});

test('cashier: log in, open the till, scan, bind a member, pay and see the receipt', async () => {
  const { page } = till;
  await page.goto(agent.url + '/');
  await page.locator('#view-login').waitFor();
  await lib.screenshot(page, '01-login');

  // A wrong PIN is refused in words.
  await page.fill('#login-id', CASHIER.id);
  await pin(page, '0000');
  await page.click('#login-submit');
  await page.locator('#login-error', { hasText: 'Wrong cashier ID or PIN' }).waitFor();

  await pin(page, CASHIER.pin);
  await page.click('#login-submit');
  await page.locator('#view-open-shift').waitFor();
  await page.fill('#float-amount', '200');
  await page.click('#open-shift-submit');
  await page.locator('#view-sale').waitFor();
  await page.locator('#hdr-live', { hasText: 'live' }).waitFor();
  assert.equal(await text(page, '#hdr-cashier'), CASHIER.name);

  // Two units through the till's scanner: the cart fills in live.
  const { codes, member_code: memberCode } = await agent.codes(2, SCARF);
  for (const c of codes) await agent.scan(c);
  await page.locator('#cart li.line').nth(1).waitFor();
  assert.equal(await page.locator('#cart li.line').count(), 2);
  const sale = await openSale();
  assert.equal(sale.lines.length, 2);
  await page.locator('#sale-total', { hasText: lib.money(sale.total) }).waitFor();
  assert.match(await text(page, '#cart li.line >> nth=0'), /Silk scarf/);
  assert.match(await text(page, '#cart'), new RegExp('Serial ' + sale.lines[0].serial));
  soldLabels.push(...codes);

  // Remove a line and scan it again.
  await page.locator('#cart li.line').nth(1).locator('button.remove').click();
  await page.locator('#cart li.line').nth(1).waitFor({ state: 'detached' });
  await agent.scan(codes[1]);
  await page.locator('#cart li.line').nth(1).waitFor();
  await lib.screenshot(page, '02-sale-cart');

  // The member's phone code, read by a keyboard-wedge scanner on the page.
  await page.click('.cart-head h2');
  await page.keyboard.type(memberCode);
  await page.keyboard.press('Enter');
  await page.locator('#member-box.bound').waitFor();
  const memberId = memberCode.split(':')[1];
  assert.equal(await text(page, '#member-text'), 'Member ' + memberId);

  // Pay by card: the whole total.
  await page.click('#btn-pay');
  await page.locator('#dlg-pay[open]').waitFor();
  await page.click('#pay-methods [data-method="card"]');
  await page.click('#pay-submit');
  await page.locator('#view-receipt').waitFor();
  await page.locator('#receipt-text', { hasText: 'Silk scarf' }).waitFor();
  const done = (await agent.api('GET', '/v1/sales/' + sale.id)).json;
  assert.equal(done.status, 'completed');
  assert.match(await text(page, '#receipt-title'), new RegExp(done.receipt_no));
  assert.equal(await text(page, '#receipt-member'), 'Points go to member ' + memberId);
  assert.equal(await page.locator('#claim').isHidden(), true, 'a member sale has no claim QR');
  noProblems(till);
});

test('cashier: a sale paid in cash shows the change and the claim QR', async () => {
  const { page } = till;
  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();
  const { codes } = await agent.codes(1, TOTE);
  // This one through the page's scan field (a code typed by hand).
  await page.fill('#scan-input', codes[0]);
  await page.press('#scan-input', 'Enter');
  await page.locator('#cart li.line', { hasText: 'Canvas tote' }).waitFor();
  await page.locator('#sale-total', { hasText: '¥129.00' }).waitFor();
  soldLabels.push(codes[0]);

  await page.click('#btn-pay');
  await page.click('#pay-methods [data-method="cash"]');
  await page.fill('#pay-tendered', '200');
  await page.locator('#pay-change', { hasText: '¥71.00' }).waitFor();
  await page.click('#pay-submit');
  await page.locator('#view-receipt').waitFor();
  await page.locator('#receipt-change', { hasText: '¥71.00' }).waitFor();
  await page.locator('#claim-qr svg').waitFor();
  const box = await page.locator('#claim-qr svg').boundingBox();
  assert.ok(box.width >= 200 && box.height >= 200, 'the QR is big enough to scan from a phone');
  await page.locator('#receipt-text', { hasText: 'Canvas tote' }).waitFor();
  await lib.screenshot(page, '03-receipt-qr');
  noProblems(till);
});

test('cashier: a forged label and a label already sold are refused in words', async () => {
  const { page } = till;
  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();
  const { codes } = await agent.codes(1, SCARF);
  await agent.scan(codes[0]);
  await page.locator('#cart li.line').first().waitFor();

  await agent.scan(lib.forge(codes[0].replace(/\/21\/[^/?]+/, '/21/FAKE1')));
  await page.locator('#toast.error', { hasText: 'This label is not genuine' }).waitFor();
  assert.equal(await page.locator('#cart li.line').count(), 1, 'the forged unit is not in the cart');
  await lib.screenshot(page, '04-forged-label');

  await agent.scan(soldLabels[0]);
  await page.locator('#toast.error', { hasText: 'This item was already sold' }).waitFor();
  assert.equal(await page.locator('#cart li.line').count(), 1);

  // Void what is left.
  await page.click('#btn-void');
  await page.click('#void-form [data-reason="wrong items"]');
  await page.click('#void-submit');
  await page.locator('#cart-empty').waitFor();
  assert.equal(await openSale(), null);
  noProblems(till);
});

test('store: receive stock, accept an order and pick it with the scanner', async () => {
  const { page } = store;
  await page.goto(agent.url + '/store');
  await page.locator('#view-login').waitFor();
  // A cashier cannot open the store screen.
  await page.fill('#login-id', CASHIER.id);
  await pin(page, CASHIER.pin);
  await page.click('#login-submit');
  await page.locator('#login-error', { hasText: 'manager' }).waitFor();

  await page.fill('#login-id', MANAGER.id);
  await pin(page, MANAGER.pin);
  await page.click('#login-submit');
  await page.locator('#view-sync').waitFor();
  await page.locator('#hdr-live', { hasText: 'live' }).waitFor();
  await page.locator('#sync-online', { hasText: /Online|Offline/ }).waitFor();

  // Receiving: two units scanned in at the till's scanner.
  await page.click('#tabs [data-tab="receive"]');
  await page.click('#btn-receive-toggle');
  await page.locator('#btn-receive-toggle', { hasText: 'Stop receiving' }).waitFor();
  await agent.until('/v1/terminals/till-1', (t) => t.mode === 'receive', 'receive mode');
  const { codes } = await agent.codes(2, SERUM);
  for (const c of codes) await agent.scan(c);
  await page.locator('#received li.good').nth(1).waitFor();
  assert.equal(await text(page, '#receive-count'), '2');
  await lib.screenshot(page, '05-store-receiving');

  // Stock lookup by scanning a label on the page's keyboard wedge.
  await page.click('#tabs [data-tab="lookup"]');
  await agent.until('/v1/terminals/till-1', (t) => t.mode === 'sale', 'back to sale mode');
  await page.locator('#view-lookup').waitFor();
  // The tab puts the cursor in its scan field; a wedge scanner types wherever
  // the focus is, so type on the page itself.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'lookup-input');
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.type(codes[0]);
  await page.keyboard.press('Enter');
  await page.locator('#lookup-result').waitFor();
  // The demo store opens with 50 of each product on hand; two more came in.
  await page.locator('#lookup-on-hand', { hasText: /^52$/ }).waitFor();
  assert.equal(await text(page, '#lookup-gtin'), SERUM);
  await lib.screenshot(page, '06-store-lookup');

  // The cloud offers an order for both units; the store syncs it in.
  const offered = await fetch(`${cloud.url}/admin/v1/stores/${agent.storeId}/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 'web-1', kind: 'ship_from_store', lines: [{ gtin: SERUM, qty: 2 }], ttl_s: 900 }),
  });
  assert.ok(offered.ok, 'oms-sim took the order: ' + (await offered.text()));
  await page.click('#tabs [data-tab="sync"]');
  await page.click('#btn-sync-now');
  await page.locator('#toast.ok', { hasText: 'Synced' }).waitFor();
  await lib.screenshot(page, '07-store-sync');

  await page.click('#tabs [data-tab="orders"]');
  const order = page.locator('#orders li[data-order="web-1"]');
  await order.waitFor();
  await order.locator('button', { hasText: 'Accept' }).click();
  await page.locator('#view-pick').waitFor();
  await agent.until('/v1/terminals/till-1', (t) => t.mode === 'pick' && t.order_id === 'web-1', 'pick mode');

  await agent.scan(codes[0]);
  await page.locator('#pick-lines .picked-count', { hasText: '1 / 2' }).waitFor();
  await page.locator('#pick-last.good').waitFor();
  // A unit not in the order is refused in words.
  const other = await agent.codes(1, TOTE);
  await agent.scan(other.codes[0]);
  await page.locator('#pick-last.bad', { hasText: 'not in this order' }).waitFor();
  await agent.scan(codes[1]);
  await page.locator('#pick-lines .picked-count', { hasText: '2 / 2' }).waitFor();
  await page.locator('#ship-form').waitFor();
  await lib.screenshot(page, '08-pick');

  await page.fill('#ship-carrier', 'SF Express');
  await page.fill('#ship-tracking', 'SF1234567890');
  await page.click('#ship-submit');
  await page.locator('#view-orders').waitFor();
  await agent.until('/v1/reservations/web-1', (o) => o.status === 'shipped', 'the order shipped');
  await agent.until('/v1/terminals/till-1', (t) => t.mode === 'sale', 'the till back in sale mode');
  noProblems(store);
});

test('cashier: close the shift with events waiting to sync and see the Z report', async () => {
  const { page } = till;
  // The cloud goes away: what the till does next waits to be synced.
  await cloud.stop();
  await page.locator('#view-sale').waitFor();
  const { codes } = await agent.codes(1, TOTE);
  await agent.scan(codes[0]);
  await page.locator('#cart li.line', { hasText: 'Canvas tote' }).waitFor();
  // A member by the phone number typed in (kept only masked and hashed).
  await page.click('#btn-member');
  await page.locator('#dlg-member[open]').waitFor();
  // Typed fast into the field: the wedge listener leaves inputs alone.
  await page.locator('#member-phone').pressSequentially('138 0013 8000');
  await page.press('#member-phone', 'Enter');
  await page.locator('#member-box.bound', { hasText: '138****8000' }).waitFor();
  await page.click('#btn-pay');
  await page.click('#pay-methods [data-method="wechat"]');
  await page.click('#pay-submit');
  await page.locator('#view-receipt').waitFor();
  await agent.until('/v1/sync', (s) => s.pending_events > 0, 'events waiting to sync');

  await page.click('#btn-close-shift');
  await page.locator('#dlg-close[open]').waitFor();
  await page.locator('#close-warnings .pending-warning').waitFor();
  // Float ¥200 + cash ¥200 taken - ¥71 change = ¥329 expected; ¥1 short.
  await page.fill('#close-counted', '328');
  await page.click('#close-submit');
  await page.locator('#view-zreport').waitFor();
  await page.locator('#z-warnings .pending-warning').waitFor();
  // The Z report as the agent lays it out (what storectl prints).
  await page.locator('#z-text', { hasText: 'Z REPORT' }).waitFor();
  const z = await text(page, '#z-text');
  assert.match(z, /sales\s+x3\s+1456\.00/, z);   // 2 scarves + 2 totes
  assert.match(z, /voids\s+x1/, z);
  assert.match(z, /expected\s+329\.00/, z);
  assert.match(z, /variance\s+-1\.00/, z);
  await lib.screenshot(page, '09-z-report');

  await page.click('#btn-z-logout');
  await page.locator('#view-login').waitFor();
  noProblems(till);
});
