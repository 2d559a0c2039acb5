// SPDX-License-Identifier: Apache-2.0
// Returns at the cashier screen in headless Chromium, against the real
// store-agent --demo: a paid sale found by its receipt number and refunded
// with a manager's PIN typed at the till (a wrong PIN first), and a unit
// exchanged for a dearer one with the difference paid in cash. What the
// screen did is checked through the API (units back in stock or sold).
// Waits on DOM state, never on fixed sleeps; any page or console error
// (a CSP violation included) fails.
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
const CASHIER = { id: 'c2', name: 'Bo Chen', pin: '2468' };
const MANAGER = { id: 'm2', name: 'Manager Zhou', pin: '8642', role: 'manager' };

let agent, browser, till;

test.before(async () => {
  agent = await lib.Agent.start();
  for (const who of [CASHIER, MANAGER]) await agent.addCashier(who);
  browser = await lib.launchBrowser();
  till = await lib.newPage(browser);
});

test.afterEach(async (t) => {
  if (!agent || !t || t.passed !== false) return;
  const scans = await agent.api('GET', '/v1/scans?limit=10').catch(() => null);
  console.log('agent scans:', scans && scans.text);
  if (till) await lib.screenshot(till.page, 'failed-returns').catch(() => {});
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

// The unit of `label` may be sold again: no sale holds it, and it goes into a
// new cart (dropped again afterwards).
async function sellableAgain(label) {
  const found = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(label));
  assert.equal(found.status, 404, found.text);
  assert.equal(found.json.error.code, 'unit_not_sold');
  const cart = await agent.api('POST', '/v1/sales', { terminal: 'check' });
  const scan = await agent.api('POST', `/v1/sales/${cart.json.id}/scans`, { payload: label });
  assert.equal(scan.status, 200, 'the unit goes into a cart again: ' + scan.text);
  const voided = await agent.api('POST', `/v1/sales/${cart.json.id}/void`, {});
  assert.equal(voided.status, 200, voided.text);
}

// The manager's id and PIN in the till's approval dialog.
async function approve(page, who, digits) {
  await page.locator('#dlg-approval[open]').waitFor();
  await page.fill('#approval-manager', who.id);
  await page.click('#approval-pinpad button[data-key="clear"]');
  for (const d of digits) await page.click(`#approval-pinpad button[data-key="${d}"]`);
  await page.click('#approval-submit');
}

test('cashier: find a sale by its receipt number, refund with a manager PIN', async () => {
  // Sold earlier: a scarf and a tote, part by card, the rest in cash. (The
  // demo store takes signed unit labels only: no plain items here.)
  const scarf = (await agent.codes(1, SCARF)).codes[0];
  const tote = (await agent.codes(1, TOTE)).codes[0];
  const sold = await agent.sell([scarf, tote],
    (total) => [{ method: 'card', amount: 40000, ref: 'POS-7781' }, { method: 'cash', amount: total - 40000 }]);
  assert.equal(sold.total, 59900 + 12900);
  const device = sold.receipt_no.replace(/-\d+$/, '');

  const { page } = till;
  await page.goto(agent.url + '/');
  await page.locator('#view-login').waitFor();
  await page.fill('#login-id', CASHIER.id);
  for (const d of CASHIER.pin) await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#login-submit');
  await page.locator('#view-open-shift').waitFor();
  await page.fill('#float-amount', '500');
  await page.click('#open-shift-submit');
  await page.locator('#view-sale').waitFor();

  await page.click('#btn-return');
  await page.locator('#view-return').waitFor();
  // A number this till never printed is refused in words.
  await page.fill('#return-find', device + '-999999');
  await page.press('#return-find', 'Enter');
  await page.locator('#return-error', { hasText: 'No receipt with that number' }).waitFor();

  await page.fill('#return-find', sold.receipt_no);
  await page.click('#return-find-submit');
  await page.locator('#return-title', { hasText: sold.receipt_no }).waitFor();
  assert.equal(await text(page, '#return-error'), '');
  assert.equal(await page.locator('#return-lines li.return-line').count(), 2);
  assert.equal(await page.locator('#btn-refund').isDisabled(), true, 'nothing chosen yet');

  // The scarf comes back.
  const scarfLine = page.locator('#return-lines li.return-line', { hasText: 'Silk scarf' });
  await scarfLine.locator('input.return-check').check();
  await page.locator('#return-amount', { hasText: lib.money(59900) }).waitFor();

  // A cashier may not refund alone: the manager types their PIN, wrong first.
  await page.click('#btn-refund');
  await approve(page, MANAGER, '0000');
  await page.locator('#approval-error', { hasText: 'Wrong manager ID or PIN' }).waitFor();
  assert.equal(await page.locator('#dlg-approval').getAttribute('open'), '', 'the prompt stays for another try');
  await lib.screenshot(page, '10-refund-manager-pin');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#return-result').waitFor();
  await page.locator('#dlg-approval').waitFor({ state: 'hidden' });

  // Money back by the sale's own methods in the order it was paid: the card
  // first (to its transaction), the rest out of the drawer.
  assert.equal(await text(page, '#result-title'), 'Refunded ¥599.00 — receipt ' + sold.receipt_no);
  // The refund's slip as the agent lays it out, on the screen too.
  const slip = page.locator('#result-receipt', { hasText: '*** REFUND ***' });
  await slip.waitFor();
  assert.ok((await slip.textContent()).includes(sold.receipt_no), 'the slip names the sale');
  const card = page.locator('#result-money li[data-method="card"]');
  assert.match(await card.textContent(), /Card\s*¥400\.00\s*Back to the original payment \(ref POS-7781\)/);
  const cash = page.locator('#result-money li[data-method="cash"]');
  assert.match(await cash.textContent(), /Cash\s*¥199\.00\s*Pay it out from the drawer/);
  assert.match(await text(page, '#result-items'), /^Silk scarf - indigo \(serial \S+\)$/);
  assert.equal(await text(page, '#result-approved'), 'Approved by ' + MANAGER.id + ' with their PIN');
  await lib.screenshot(page, '11-refund-result');

  // The scarf is on the shelf again; the tote is still sold.
  await sellableAgain(scarf);
  const toteSale = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(tote));
  assert.equal(toteSale.status, 200, toteSale.text);
  assert.equal(toteSale.json.id, sold.id);

  // The refund counts in the cashier's shift.
  const shifts = await agent.api('GET', '/v1/shifts?terminal=till-1&status=open');
  const shift = (shifts.json.shifts || shifts.json)[0];
  const report = await agent.api('GET', `/v1/shifts/${shift.id}/report`);
  assert.equal(report.json.refunds.count, 1, report.text);
  assert.equal(report.json.refunds.total, 59900, report.text);

  // Found again, the returned scarf is greyed out and only the tote is offered.
  await page.click('#btn-return-new');
  await page.fill('#return-find', sold.receipt_no);
  await page.press('#return-find', 'Enter');
  await page.locator('#return-lines li.return-line.returned', { hasText: 'Silk scarf' }).waitFor();
  assert.equal(await page.locator('#return-lines li.return-line', { hasText: 'Silk scarf' })
    .locator('input.return-check').isDisabled(), true);
  assert.equal(await page.locator('#return-lines li.return-line', { hasText: 'Tote' })
    .locator('input.return-check').isDisabled(), false);

  await page.click('#btn-return-back');
  await page.locator('#view-sale').waitFor();
  noProblems(till);
});

test('cashier: exchange a unit for a dearer one and take the difference in cash', async () => {
  const tote = (await agent.codes(1, TOTE)).codes[0];
  const sold = await agent.sell([tote], (total) => [{ method: 'card', amount: total, ref: 'POS-9001' }]);
  const scarf = (await agent.codes(1, SCARF)).codes[0];

  const { page } = till;
  await page.locator('#view-sale').waitFor();
  await page.click('#btn-return');
  await page.locator('#view-return').waitFor();
  // The customer's tote read by the till's scanner: the agent refuses it for
  // the cart (it is sold) and the screen finds its sale.
  await agent.scan(tote);
  await page.locator('#return-title', { hasText: sold.receipt_no }).waitFor();
  await page.locator('#return-lines li.return-line input.return-check').check();
  await page.locator('#return-amount', { hasText: '¥129.00' }).waitFor();

  await page.click('#btn-exchange');
  await page.locator('#view-sale').waitFor();
  await page.locator('#exchange-box', { hasText: sold.receipt_no }).waitFor();
  assert.equal(await text(page, '#btn-pay'), 'Exchange');
  await agent.scan(scarf);
  await page.locator('#cart li.line', { hasText: 'Silk scarf' }).waitFor();
  await page.locator('#exchange-due', { hasText: '¥470.00' }).waitFor();
  assert.equal(await text(page, '#exchange-due-label'), 'Customer pays');
  assert.equal(await text(page, '#exchange-credit'), '-¥129.00');
  await lib.screenshot(page, '12-exchange-cart');

  await page.click('#btn-pay');
  await page.locator('#dlg-pay[open]').waitFor();
  assert.equal(await text(page, '#pay-total'), '¥470.00');
  await page.click('#pay-methods [data-method="cash"]');
  await page.fill('#pay-tendered', '500');
  await page.locator('#pay-change', { hasText: '¥30.00' }).waitFor();
  await page.click('#pay-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#view-receipt').waitFor();
  await page.locator('#receipt-title', { hasText: 'Exchanged' }).waitFor();
  await page.locator('#receipt-change', { hasText: '¥30.00' }).waitFor();
  assert.match(await text(page, '#receipt-exchange-text'), /Canvas tote.*¥129\.00.*paid the difference, ¥470\.00/);
  await page.locator('#receipt-text', { hasText: 'Silk scarf' }).waitFor();
  await lib.screenshot(page, '13-exchange-receipt');

  // The tote is back on the shelf; the scarf is sold in the new sale, paid
  // by the exchange's credit and the cash.
  await sellableAgain(tote);
  const now = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(scarf));
  assert.equal(now.status, 200, now.text);
  assert.equal(now.json.status, 'completed');
  assert.notEqual(now.json.id, sold.id);
  const paid = Object.fromEntries(now.json.payments.map((p) => [p.method, p.amount]));
  assert.equal(paid.exchange, 12900, now.text);
  assert.equal(paid.cash, 50000, now.text);
  assert.equal(now.json.change, 3000, now.text);

  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();
  // Waited for, not read at once: the view shows before the exchange box hides.
  await page.locator('#exchange-box').waitFor({ state: 'hidden' });
  noProblems(till);
});

test('cashier: void a paid sale found by the last digits of its receipt number', async () => {
  const tote = (await agent.codes(1, TOTE)).codes[0];
  const sold = await agent.sell([tote], (total) => [{ method: 'wechat', amount: total, ref: 'WX-5521' }]);
  const digits = String(Number(/-(\d+)$/.exec(sold.receipt_no)[1]));  // "000003" -> "3"

  const { page } = till;
  await page.click('#btn-return');
  await page.locator('#view-return').waitFor();
  await page.fill('#return-find', digits);
  await page.press('#return-find', 'Enter');
  await page.locator('#return-title', { hasText: sold.receipt_no }).waitFor();

  await page.click('#btn-post-void');
  await page.locator('#dlg-post-void[open]').waitFor();
  await page.click('#post-void-submit');
  await page.locator('#post-void-error', { hasText: 'Choose why' }).waitFor();
  await page.click('#post-void-form [data-reason="charged twice"]');
  await page.click('#post-void-submit');
  // The manager is not there after all: cancelled, nothing happens.
  await page.locator('#dlg-approval[open]').waitFor();
  await page.click('#approval-cancel');
  await page.locator('#dlg-approval').waitFor({ state: 'hidden' });
  assert.equal(await text(page, '#post-void-error'), '');
  assert.equal((await agent.api('GET', '/v1/sales/' + sold.id)).json.post_void, null);

  await page.click('#post-void-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#return-result').waitFor();
  await page.locator('#dlg-post-void').waitFor({ state: 'hidden' });
  assert.match(await text(page, '#result-title'), /^Voided — receipt .*, ¥129\.00 back$/);
  await page.locator('#result-receipt', { hasText: '*** POST-VOID ***' }).waitFor();
  assert.equal(await page.locator('#btn-result-print').isVisible(), true);
  assert.match(await page.locator('#result-money li[data-method="wechat"]').textContent(),
    /WeChat Pay\s*¥129\.00\s*Back to the original payment \(ref WX-5521\)/);

  const voided = (await agent.api('GET', '/v1/sales/' + sold.id)).json;
  assert.equal(voided.post_void.reason, 'charged twice');
  assert.deepEqual(voided.post_void.approved_by, { manager: MANAGER.id, via: 'pin' });
  await sellableAgain(tote);

  // Found again, a voided sale offers nothing to return.
  await page.fill('#return-find', sold.receipt_no);
  await page.press('#return-find', 'Enter');
  await page.locator('#return-voided', { hasText: 'voided' }).waitFor();
  assert.equal(await page.locator('#btn-post-void').isDisabled(), true);
  assert.equal(await page.locator('#return-lines input.return-check').isDisabled(), true);
  await page.click('#btn-return-back');
  await page.locator('#view-sale').waitFor();
  noProblems(till);
});

test('cashier: exchange a unit for a cheaper one: nothing to pay, the rest back to the card', async () => {
  const scarf = (await agent.codes(1, SCARF)).codes[0];
  const sold = await agent.sell([scarf], (total) => [{ method: 'card', amount: total, ref: 'POS-4410' }]);
  const tote = (await agent.codes(1, TOTE)).codes[0];

  const { page } = till;
  await page.click('#btn-return');
  await page.locator('#view-return').waitFor();
  // A wedge scanner on the page reads the scarf's label.
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.type(scarf);
  await page.keyboard.press('Enter');
  await page.locator('#return-title', { hasText: sold.receipt_no }).waitFor();
  await page.locator('#return-lines input.return-check').check();
  await page.click('#btn-exchange');
  await page.locator('#exchange-box').waitFor();
  await page.fill('#scan-input', tote);
  await page.press('#scan-input', 'Enter');
  await page.locator('#cart li.line', { hasText: 'Canvas tote' }).waitFor();
  await page.locator('#exchange-due', { hasText: '¥470.00' }).waitFor();
  assert.equal(await text(page, '#exchange-due-label'), 'Give back');

  await page.click('#btn-pay');
  await page.locator('#dlg-pay[open]').waitFor();
  assert.equal(await page.locator('#pay-methods').isHidden(), true, 'nothing to pay');
  assert.match(await text(page, '#pay-none'), /¥470\.00 goes back to the customer/);
  await page.click('#pay-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#receipt-title', { hasText: 'Exchanged' }).waitFor();
  await page.locator('#receipt-change', { hasText: 'Give back: ¥470.00' }).waitFor();
  assert.match(await page.locator('#receipt-exchange-money li[data-method="card"]').textContent(),
    /Card\s*¥470\.00\s*Back to the original payment \(ref POS-4410\)/);

  await sellableAgain(scarf);
  const now = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(tote));
  assert.equal(now.status, 200, now.text);
  assert.deepEqual(now.json.payments.map((p) => [p.method, p.amount]), [['exchange', 12900]]);
  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();
  noProblems(till);
});

test('cashier: open the drawer without a sale, a manager approving it with their PIN', async () => {
  const { page } = till;
  const shifts = (await agent.api('GET', '/v1/shifts?status=open')).json.shifts;
  assert.equal(shifts.length, 1, 'the till has its shift open');
  const before = (await agent.api('GET', `/v1/shifts/${shifts[0].id}/report`)).json.no_sale.count;

  await page.click('#btn-drawer');
  await page.locator('#dlg-drawer[open]').waitFor();
  await page.click('#drawer-submit');
  await page.locator('#drawer-error', { hasText: 'Choose why' }).waitFor();
  await page.click('#drawer-form [data-reason="change for a note"]');
  await page.click('#drawer-submit');
  // A cashier's session is not enough: the manager types their PIN (a wrong one first).
  await approve(page, MANAGER, '0000');
  await page.locator('#approval-error', { hasText: 'Wrong manager ID or PIN' }).waitFor();
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#dlg-drawer').waitFor({ state: 'hidden' });
  // The demo till has no printer to kick the drawer: recorded, and it says so.
  await page.locator('#toast', { hasText: 'Recorded: this till has no printer' }).waitFor();

  const report = (await agent.api('GET', `/v1/shifts/${shifts[0].id}/report`)).json;
  assert.equal(report.no_sale.count, before + 1);
  noProblems(till);
});

test('cashier: sell a line below its catalog price, a manager approving it with their PIN', async () => {
  const { page } = till;
  const tote = (await agent.codes(1, TOTE)).codes[0];
  await page.fill('#scan-input', tote);
  await page.press('#scan-input', 'Enter');
  const line = page.locator(`#cart li.line[data-gtin="${TOTE}"]`);
  await line.waitFor();
  await page.locator('#sale-total', { hasText: '¥129.00' }).waitFor();

  await line.locator('button.price').click();
  await page.locator('#dlg-price[open]').waitFor();
  assert.match(await text(page, '#price-what'), /Canvas tote, catalog price ¥129\.00/);
  await page.fill('#price-amount', '99');
  await page.click('#price-submit');
  await page.locator('#price-error', { hasText: 'Choose why' }).waitFor();
  await page.click('#price-form [data-reason="damaged"]');
  await page.fill('#price-amount', '200');  // more than the catalog's: refused by the agent
  await page.click('#price-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#price-error', { hasText: /\S/ }).waitFor();
  await page.fill('#price-amount', '99');
  await page.click('#price-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#dlg-price').waitFor({ state: 'hidden' });
  await page.locator('#sale-total', { hasText: '¥99.00' }).waitFor();

  // The cart as the agent keeps it.
  const t = (await agent.api('GET', '/v1/terminals/till-1')).json;
  assert.ok(t.open_sale, 'the cart is still open: ' + JSON.stringify(t));
  const sale = (await agent.api('GET', '/v1/sales/' + t.open_sale)).json;
  assert.equal(sale.total, 9900);
  assert.deepEqual(sale.lines[0].price_change,
    { list_price: 12900, reason: 'damaged', approved_by: { manager: MANAGER.id, via: 'pin' } });

  // The cart is dropped again: nothing was sold.
  await page.click('#btn-void');
  await page.click('#void-form [data-reason="wrong items"]');
  await page.click('#void-submit');
  await page.locator('#cart-empty').waitFor();
  noProblems(till);
});

test('cashier: 10 % off the whole sale with a manager\'s PIN, paid part by card and the rest in cash', async () => {
  const { page } = till;
  const scarf = (await agent.codes(1, SCARF)).codes[0];
  await page.fill('#scan-input', scarf);
  await page.press('#scan-input', 'Enter');
  await page.locator(`#cart li.line[data-gtin="${SCARF}"]`).waitFor();
  await page.locator('#sale-total', { hasText: '¥599.00' }).waitFor();

  await page.click('#btn-discount');
  await page.locator('#dlg-discount[open]').waitFor();
  assert.match(await text(page, '#discount-total'), /¥599\.00/);
  await page.click('#discount-form [data-bp="1000"]');
  await page.click('#discount-submit');
  await page.locator('#discount-error', { hasText: 'Choose why' }).waitFor();
  await page.click('#discount-form [data-reason="loyal customer"]');
  await page.click('#discount-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#dlg-discount').waitFor({ state: 'hidden' });
  await page.locator('#sale-total', { hasText: '¥539.10' }).waitFor();
  await page.locator('#sale-extras .sale-discount', { hasText: /10 %.*loyal customer.*¥59\.90/ }).waitFor();
  await page.locator('#cart li.line .line-note.discount', { hasText: 'Sale discount' }).waitFor();
  await lib.screenshot(page, '16-sale-discount');

  // ¥300.00 by card, the rest (¥239.10) in cash: ¥300.00 given, ¥60.90 back.
  await page.click('#btn-pay');
  await page.click('#pay-methods [data-method="card"]');
  await page.fill('#pay-amount', '300');
  await page.locator('#pay-submit', { hasText: 'Take ¥300.00, then the rest' }).click();
  await page.locator('#pay-parts', { hasText: 'Paid ¥300.00 by Card' }).waitFor();
  await page.locator('#pay-total', { hasText: '¥239.10' }).waitFor();
  await page.click('#pay-methods [data-method="cash"]');
  await page.fill('#pay-tendered', '300');
  await page.locator('#pay-change', { hasText: '¥60.90' }).waitFor();
  await page.click('#pay-submit');
  await page.locator('#view-receipt').waitFor();
  await page.locator('#receipt-change', { hasText: '¥60.90' }).waitFor();
  await page.locator('#receipt-text', { hasText: 'Sale discount' }).waitFor();

  // The sale as the agent keeps it: two payments, the manager's discount.
  const found = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(scarf));
  assert.equal(found.status, 200, found.text);
  const sale = found.json;
  assert.equal(sale.total, 53910);
  assert.deepEqual(sale.payments.map((p) => [p.method, p.amount]), [['card', 30000], ['cash', 30000]]);
  assert.equal(sale.change, 6090);
  assert.deepEqual(sale.discount, { percent_bp: 1000, amount: null, applied: 5990, reason: 'loyal customer',
    approved_by: { manager: MANAGER.id, via: 'pin' } });
  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();

  // Swapped for another scarf: it comes back for what it sold for (¥539.10,
  // not its list price), so the customer pays ¥59.90, here by card.
  const other = (await agent.codes(1, SCARF)).codes[0];
  await page.click('#btn-return');
  await page.locator('#view-return').waitFor();
  await agent.scan(scarf);
  await page.locator('#return-title', { hasText: sale.receipt_no }).waitFor();
  await page.locator('#return-lines li.return-line input.return-check').check();
  await page.locator('#return-amount', { hasText: '¥539.10' }).waitFor();
  await page.click('#btn-exchange');
  await page.locator('#view-sale').waitFor();
  await agent.scan(other);
  await page.locator('#cart li.line', { hasText: 'Silk scarf' }).waitFor();
  await page.locator('#exchange-due', { hasText: '¥59.90' }).waitFor();
  await page.click('#btn-pay');
  await page.locator('#dlg-pay[open]').waitFor();
  await page.click('#pay-methods [data-method="card"]');
  await page.click('#pay-submit');
  await approve(page, MANAGER, MANAGER.pin);
  await page.locator('#receipt-title', { hasText: 'Exchanged' }).waitFor();
  const swapped = await agent.api('GET', '/v1/sales?code=' + encodeURIComponent(other));
  assert.deepEqual(swapped.json.payments.map((p) => [p.method, p.amount]), [['exchange', 53910], ['card', 5990]]);
  await page.click('#btn-next');
  await page.locator('#view-sale').waitFor();
  await page.locator('#exchange-box').waitFor({ state: 'hidden' });
  noProblems(till);
});
