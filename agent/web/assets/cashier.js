// SPDX-License-Identifier: Apache-2.0
// The cashier screen (served at /): log in, open the till, sell (scans from
// the till's scanner arrive over /v1/events; a keyboard-wedge scanner on
// this page works too), bind a member, take payment, show the receipt with
// its claim QR, void, the shift's X report, close the shift and show the Z
// report (both laid out by the agent in the store's language). Every text
// comes from the message catalog (SA.t); switching the language writes the
// view shown again (relabel). Returns: find a
// paid sale by its receipt number or a unit's label, then refund what comes
// back, exchange it for goods scanned into a new cart, or void the whole
// sale; a manager approves each at the till with their PIN (SA.withManager).
'use strict';

(function () {
  const { $, $$, el, api, money } = SA;

  let session = null;
  let shift = null;      // the open shift of this terminal
  let sale = null;       // the open sale shown in the cart (or null)
  let mode = 'sale';     // this terminal's scanner mode
  let stopEvents = null;
  let receiptFor = null; // the sale id the receipt view shows
  let payMethod = null;
  let syncTimer = null;
  let found = null;      // the paid sale the return screen shows (or null)
  let returnBusy = false;
  // An exchange under way: what comes back of which sale, while the goods
  // taken instead are scanned into the cart. {from, serials, items, credit, shown}
  let exchange = null;
  let deviceId = null;   // this agent's device id: every receipt number starts with it
  let live = null;       // whether the event stream is up (null: not yet known)
  let modeOrder = null;  // the order the scanner picks for, in pick mode
  let receiptShown = null; // {done, swap} of the receipt view
  let result = null;     // what the return result shows: {title, payments, shown, approvedBy}
  let zShown = null;     // {id, warnings} of the Z report view

  const T = () => (session && session.terminal) || SA.terminal();
  const view = () => document.body.dataset.view;

  function showError(text) { SA.toast(text, 'error'); }
  function fail(e) { showError(e && e.words ? e.words : String(e)); }

  // -------------------------------------------------------- log in / out

  function loggedOut(message) {
    if (stopEvents) stopEvents();
    stopEvents = null;
    clearInterval(syncTimer);
    session = null;
    shift = null;
    sale = null;
    found = null;
    exchange = null;
    for (const d of $$('dialog')) if (d.open) d.close();
    $('#btn-logout').hidden = true;
    $('#hdr-live').hidden = true;
    $('#btn-close-shift').hidden = true;
    $('#btn-x-report').hidden = true;
    $('#btn-drawer').hidden = true;
    $('#hdr-cashier').textContent = '';
    $('#hdr-sync').hidden = true;
    $('#mode-banner').hidden = true;
    SA.show('view-login');
    if (message) $('#login-error').textContent = message;
    setTimeout(() => $('#login-id').value ? $('#login-pin').focus() : $('#login-id').focus(), 0);
  }

  async function afterLogin(s) {
    session = s;
    SA.clearToast();
    $('#hdr-terminal').textContent = T();
    $('#hdr-cashier').textContent = s.cashier ? s.cashier.name || s.cashier.id : '';
    $('#btn-logout').hidden = false;
    $('#hdr-live').hidden = false;
    if (!stopEvents) stopEvents = SA.events(onEvent, onLive);
    clearInterval(syncTimer);
    syncTimer = setInterval(refreshSync, 15000);
    refreshSync();
    try {
      const info = await api('GET', '/v1/session');
      if (info && info.cashier) {
        session.cashier = info.cashier;
        $('#hdr-cashier').textContent = info.cashier.name || info.cashier.id;
      }
      shift = info ? info.shift || null : null;
    } catch (e) {
      if (e.status === 401) return;
      fail(e);
    }
    if (!shift) return showOpenShift();
    showShiftButtons(true);
    await loadSale();
    SA.show('view-sale');
    renderSale();
  }

  // ------------------------------------------------------------- shift

  function showShiftButtons(on) {
    $('#btn-close-shift').hidden = !on;
    $('#btn-x-report').hidden = !on;
    $('#btn-drawer').hidden = !on;
  }

  function showOpenShift() {
    showShiftButtons(false);
    $('#open-shift-error').textContent = '';
    SA.show('view-open-shift');
  }

  async function openShift(e) {
    e.preventDefault();
    const fen = SA.parseYuan($('#float-amount').value);
    if (fen === null) {
      $('#open-shift-error').textContent = SA.t('screen.float_invalid');
      return;
    }
    $('#open-shift-submit').disabled = true;
    try {
      shift = await api('POST', '/v1/shifts', { terminal: T(), opening_float: fen });
      showShiftButtons(true);
      await loadSale();
      SA.show('view-sale');
      renderSale();
      SA.toast(SA.t('screen.shift_opened', { amount: money(fen) }), 'ok');
    } catch (ex) {
      if (ex.code === 'shift_already_open') return afterLogin(session);
      $('#open-shift-error').textContent = ex.words || String(ex);
    } finally {
      $('#open-shift-submit').disabled = false;
    }
  }

  async function openCloseDialog() {
    const box = $('#close-warnings');
    box.textContent = '';
    $('#close-error').textContent = '';
    $('#close-counted').value = '';
    if (sale && sale.status === 'open' && sale.lines.length) {
      box.append(el('p.warn', { text: SA.t('screen.close_sale_open') }));
    }
    try {
      const sync = await api('GET', '/v1/sync');
      if (sync && sync.pending_events > 0) box.append(pendingWarning(sync.pending_events));
    } catch (e) { /* the close answer warns too */ }
    refreshSync();
    $('#dlg-close').showModal();
    $('#close-counted').focus();
  }

  function pendingWarning(n, message) {
    return el('p.warn.pending-warning', {
      text: message || (n === 1 ? SA.t('screen.pending_one', { count: n }) : SA.t('screen.pending_many', { count: n })),
    });
  }

  async function closeShift(e) {
    e.preventDefault();
    const fen = SA.parseYuan($('#close-counted').value);
    if (fen === null) {
      $('#close-error').textContent = SA.t('screen.counted_invalid');
      return;
    }
    $('#close-submit').disabled = true;
    try {
      const id = shift.id;
      const r = await api('POST', '/v1/shifts/' + encodeURIComponent(id) + '/close', { counted_cash: fen });
      $('#dlg-close').close();
      shift = null;
      showShiftButtons(false);
      showZ(id, r.warnings || []);
      refreshSync();
    } catch (ex) {
      $('#close-error').textContent = ex.words || String(ex);
    } finally {
      $('#close-submit').disabled = false;
    }
  }

  // A shift's report as the agent lays it out (the catalog's report.* texts
  // in the screen's language): what storectl prints, on the screen.
  function reportText(id) {
    const query = '?format=text&width=80&locale=' + encodeURIComponent(SA.locale);
    return api('GET', '/v1/shifts/' + encodeURIComponent(id) + '/report' + query, undefined,
      { text: true });
  }

  // The open shift's X report: the shift so far, nothing closed.
  async function showX() {
    if (!shift) return;
    const id = shift.id;
    const pre = $('#x-text');
    pre.textContent = SA.t('screen.report_loading');
    if (!$('#dlg-xreport').open) $('#dlg-xreport').showModal();
    try {
      const text = await reportText(id);
      if (shift && shift.id === id) pre.textContent = text;
    } catch (e) {
      pre.textContent = e.words || String(e);
    }
  }

  // The closed shift's Z report, under the screen's own warnings.
  async function showZ(id, warnings) {
    zShown = { id, warnings };
    renderZWarnings();
    const pre = $('#z-text');
    pre.textContent = SA.t('screen.report_loading');
    SA.show('view-zreport');
    try {
      const text = await reportText(id);
      if (zShown && zShown.id === id) pre.textContent = text;
    } catch (e) {
      pre.textContent = e.words || String(e);
    }
  }

  function renderZWarnings() {
    const w = $('#z-warnings');
    w.textContent = '';
    for (const x of zShown ? zShown.warnings : []) {
      w.append(x.code === 'events_pending_sync'
        ? pendingWarning(x.pending_events || 0)
        : el('p.warn', { text: x.message || x.code }));
    }
  }

  // -------------------------------------------------------------- sale

  // Sale events seen for this till: a GET answered after a newer event
  // (a scan landed while it was on its way) must not put the older cart back.
  let saleEvents = 0;

  async function loadSale() {
    const before = saleEvents;
    try {
      const t = await api('GET', '/v1/terminals/' + encodeURIComponent(T()));
      setMode(t.mode, t.order_id);
      if (t.open_sale) {
        const s = await api('GET', '/v1/sales/' + encodeURIComponent(t.open_sale));
        if (saleEvents === before) sale = s;
      } else if (sale && sale.status === 'open' && saleEvents === before) {
        sale = null;
      }
    } catch (e) {
      if (e.status !== 401) fail(e);
    }
  }

  async function ensureSale() {
    if (sale && sale.status === 'open') return sale;
    sale = await api('POST', '/v1/sales', { terminal: T() });
    return sale;
  }

  function setSale(s) {
    sale = s;
    if (view() === 'view-sale') renderSale();
  }

  function renderSale() {
    const list = $('#cart');
    list.textContent = '';
    const lines = sale && sale.status === 'open' ? sale.lines || [] : [];
    for (const l of lines) {
      const rm = el('button.btn.remove', { type: 'button', 'aria-label': SA.t('screen.remove_aria', { name: SA.nameOf(l) }),
        text: SA.t('screen.remove') });
      rm.addEventListener('click', () => removeLine(l.id));
      // What the line sells for and why: a customer group's price below the
      // list price, and each promotion's or coupon's discount (docs/pricing.md).
      const notes = [];
      if (l.price_list) {
        notes.push(el('div.line-note.muted', { text: SA.t('screen.group_price',
          { list: l.price_list_name || l.price_list, price: money(l.catalog_price) }) }));
      }
      if (l.tax_included === false) {  // its price excluded VAT: added to what it sells for
        notes.push(el('div.line-note.muted', { text: SA.t('screen.vat_added',
          { rate: SA.percent(l.tax_rate_bp), amount: money(l.vat) }) }));
      }
      for (const d of l.discounts || []) {
        const name = d.promotion_id === 'sale:manager' ? SA.t('screen.sale_discount') : d.name;
        notes.push(el('div.line-note.discount', { text: name + '  −' + money(d.amount) }));
      }
      list.append(el('li.line', { dataset: { line: String(l.id), gtin: l.gtin } },
        el('div.line-main', {},
          el('div.line-name', { text: SA.nameOf(l) + (l.qty > 1 ? '  × ' + l.qty : '') }),
          el('div.line-serial.muted', { text: l.serial ? SA.t('screen.serial', { serial: l.serial }) : l.gtin }),
          ...notes),
        el('div.line-amount', { text: money(l.amount) }),
        SA.priceButton(sale.id, l),
        rm));
    }
    list.scrollTop = list.scrollHeight;
    $('#cart-empty').hidden = lines.length > 0;
    $('#sale-total').textContent = money(lines.length ? sale.total : 0);
    $('#sale-no').textContent = sale && sale.status === 'open' ? SA.t('screen.sale_no', { id: shortId(sale.id) }) : '';
    const m = sale && sale.status === 'open' ? sale.member : null;
    $('#member-text').textContent = !m ? SA.t('screen.no_member') : m.member_id
      ? SA.t('screen.member_id', { id: m.member_id }) : SA.t('screen.member_phone', { phone: m.phone_masked });
    $('#member-box').classList.toggle('bound', !!m);
    $('#btn-pay').disabled = !lines.length;
    $('#btn-void').disabled = !(sale && sale.status === 'open');
    SA.renderSaleExtras(lines.length ? sale : null);
    renderExchange(lines.length ? sale.total : 0);
  }

  // The exchange under way, above and below the cart: what comes back, and
  // what the customer pays (or gets back) for the goods scanned in.
  function renderExchange(total) {
    const ex = exchange;
    $('#exchange-box').hidden = !ex;
    $('#exchange-sums').hidden = !ex;
    $('#btn-pay').textContent = ex ? SA.t('screen.exchange') : SA.t('screen.pay');
    $('#btn-return').disabled = !!ex;
    $('#cart-empty').textContent = ex ? SA.t('screen.cart_empty_exchange') : SA.t('screen.cart_empty');
    if (!ex) return;
    $('#exchange-receipt').textContent = SA.t('screen.for_receipt', { receipt: ex.from.receipt_no });
    $('#exchange-text').textContent = SA.t('screen.comes_back_list', { items: itemNames(ex.shown) });
    $('#exchange-credit').textContent = money(-ex.credit);
    const diff = total - ex.credit;
    $('#exchange-due-label').textContent = diff >= 0 ? SA.t('screen.customer_pays') : SA.t('screen.give_back');
    $('#exchange-due').textContent = money(diff >= 0 ? diff : -diff);
  }

  function cancelExchange() {
    exchange = null;
    renderSale();
    SA.toast(SA.t('screen.exchange_cancelled'), 'info');
  }

  function shortId(id) { return String(id).slice(-6); }

  async function scanItem(code) {
    try {
      await ensureSale();
      const s = await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/scans', { payload: code });
      setSale(s);
      const last = s.lines[s.lines.length - 1];
      SA.toast(last ? SA.t('screen.added', { name: SA.nameOf(last) }) : SA.t('screen.scanned'), 'ok');
    } catch (e) {
      if (e.code === 'sale_not_open') { sale = null; return scanItem(code); }
      fail(e);
    }
  }

  async function removeLine(lineId) {
    try {
      setSale(await api('DELETE', '/v1/sales/' + encodeURIComponent(sale.id) + '/lines/' + lineId));
    } catch (e) { fail(e); }
  }

  async function bindMember(body) {
    const err = $('#member-error');
    err.textContent = '';
    try {
      await ensureSale();
      const s = await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/member', body);
      if ($('#dlg-member').open) $('#dlg-member').close();
      setSale(s);
      SA.toast(SA.t('screen.member_added'), 'ok');
    } catch (e) {
      if ($('#dlg-member').open) err.textContent = e.words || String(e);
      else fail(e);
    }
  }

  function openMember() {
    $('#member-error').textContent = '';
    $('#member-phone').value = '';
    $('#dlg-member').showModal();
    $('#member-cancel').focus();  // not the phone field: a wedge scan lands as a scan
  }

  // ---------------------------------------------------------- payment

  const methodName = SA.methodName;

  // What the customer pays now: the cart's total, or in an exchange what the
  // goods taken cost beyond what comes back (0 when the return covers them).
  function due() {
    if (!sale) return 0;
    return exchange ? Math.max(sale.total - exchange.credit, 0) : sale.total;
  }

  // Payments taken so far in the open payment dialog: a sale split over
  // two methods (part by card, the rest in cash) is sent whole at the end.
  let parts = [];

  // What is left to pay in the dialog.
  function left() {
    return Math.max(due() - parts.reduce((sum, p) => sum + p.amount, 0), 0);
  }

  function openPay() {
    if (!sale || !sale.lines.length) return;
    payMethod = null;
    parts = [];
    const total = due();
    const ex = exchange;
    const nothing = !!ex && total === 0;
    $('#pay-title').textContent = !ex ? SA.t('screen.payment')
      : nothing ? SA.t('screen.exchange') : SA.t('screen.exchange_customer_pays');
    $('#pay-total').textContent = nothing ? '' : money(total);
    $('#pay-methods').hidden = nothing;
    $('#pay-none').hidden = !nothing;
    if (nothing) {
      const back = ex.credit - sale.total;
      $('#pay-none').textContent = back > 0
        ? SA.t('screen.nothing_to_pay_back', { amount: money(back), receipt: ex.from.receipt_no })
        : SA.t('screen.nothing_to_pay');
    }
    $('#pay-error').textContent = '';
    showLeft();
    $('#dlg-pay').showModal();
  }

  // The dialog for what is left: the parts paid, no method chosen, quick cash amounts.
  function showLeft() {
    const total = left();
    if (parts.length) $('#pay-total').textContent = money(total);
    const list = $('#pay-parts');
    list.textContent = '';
    for (const p of parts) {
      list.append(el('li', { text: SA.t('screen.paid_part', { method: methodName(p.method), amount: money(p.amount) }) }));
    }
    list.hidden = !parts.length;
    $('#pay-tendered').value = '';
    $('#pay-amount').value = '';
    $('#pay-ref').value = '';
    $('#pay-cash').hidden = true;
    $('#pay-other').hidden = true;
    payMethod = null;
    for (const b of $$('#pay-methods .method')) b.classList.remove('selected');
    // Quick cash amounts: exact, then the next round notes above the total.
    const q = $('#pay-quick');
    q.textContent = '';
    const amounts = [total];
    for (const step of [1000, 5000, 10000]) {
      const up = total + (step - (total % step)) % step;
      if (up > total && !amounts.includes(up)) amounts.push(up);
    }
    for (const a of amounts) {
      const b = el('button.btn', { type: 'button', text: a === total ? SA.t('screen.exact', { amount: money(a) }) : money(a) });
      b.addEventListener('click', () => { $('#pay-tendered').value = plainYuan(a); updateChange(); });
      q.append(b);
    }
    updateChange();
  }

  // fen -> "12.50" for an input (integer arithmetic).
  function plainYuan(fen) {
    const c = fen % 100;
    return (fen - c) / 100 + '.' + (c < 10 ? '0' : '') + c;
  }

  function chooseMethod(m) {
    payMethod = m;
    for (const b of $$('#pay-methods .method')) b.classList.toggle('selected', b.dataset.method === m);
    $('#pay-cash').hidden = m !== 'cash';
    $('#pay-other').hidden = m === 'cash';
    if (m === 'cash') $('#pay-tendered').focus();
    else $('#pay-amount').value = plainYuan(left());
    updateChange();
  }

  // The submit button: complete the sale, or take a part of it by this
  // method and choose another for the rest.
  function updateChange() {
    const submit = $('#pay-submit');
    const complete = exchange ? SA.t('screen.complete_exchange') : SA.t('screen.complete_sale');
    submit.textContent = complete;
    if (sale && exchange && due() === 0) { submit.disabled = false; return; }
    if (!payMethod || !sale) { submit.disabled = true; return; }
    const total = left();
    const a = SA.parseYuan($(payMethod === 'cash' ? '#pay-tendered' : '#pay-amount').value);
    const ok = a !== null && a > 0 && (payMethod === 'cash' || a <= total);
    if (payMethod === 'cash') $('#pay-change').textContent = ok && a >= total ? money(a - total) : '—';
    if (ok && a < total) submit.textContent = SA.t('screen.pay_part', { amount: money(a) });
    submit.disabled = !ok;
  }

  async function completeSale(e) {
    e.preventDefault();
    if (!sale) return;
    const total = due();
    if (exchange && total === 0) return completeExchange([]);
    if (!payMethod) return;
    const rest = left();
    const p = { method: payMethod };
    p.amount = SA.parseYuan($(payMethod === 'cash' ? '#pay-tendered' : '#pay-amount').value);
    if (p.amount === null || p.amount <= 0 || (payMethod !== 'cash' && p.amount > rest)) {
      $('#pay-error').textContent = SA.t('common.err.invalid_amount');
      return;
    }
    if (payMethod !== 'cash' && $('#pay-ref').value.trim()) p.ref = $('#pay-ref').value.trim();
    $('#pay-error').textContent = '';
    if (p.amount < rest) {
      // Part of it by this method: the rest by another.
      parts.push(p);
      showLeft();
      return;
    }
    const payments = parts.concat([p]);
    if (exchange) return completeExchange(payments);
    $('#pay-submit').disabled = true;
    // One key per sale and payments: a retry after a lost answer (a tap
    // again, a flaky cable) gets the first answer back, never a second charge.
    // The payments go in as a digest: a key is at most 128 characters, and
    // two wallet references alone come near that.
    const key = 'complete:' + sale.id + ':' +
      SA.digest(payments.map((x) => x.method + ':' + x.amount + ':' + (x.ref || '')).join('|'));
    try {
      const done = await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/complete', { payments }, { key });
      $('#dlg-pay').close();
      await showReceipt(done);
    } catch (ex) {
      if (ex.code === 'sale_not_open') {
        try {
          const now = await api('GET', '/v1/sales/' + encodeURIComponent(sale.id));
          if (now.status === 'completed') { $('#dlg-pay').close(); return showReceipt(now); }
        } catch (e2) { /* shown below */ }
      }
      $('#pay-error').textContent = ex.words || String(ex);
      $('#pay-submit').disabled = false;
    }
  }

  // ---------------------------------------------------------- receipt

  // `swap`: the exchange this sale completed ({exchange: the answer, shown}).
  async function showReceipt(done, swap) {
    if (receiptFor === done.id) return;
    receiptFor = done.id;
    receiptShown = { done, swap };
    for (const d of $$('dialog')) if (d.open) d.close();
    sale = null;
    SA.clearToast();
    renderReceiptWords();
    $('#receipt-text').textContent = SA.t('screen.receipt_loading');
    $('#claim').hidden = true;
    $('#claim-qr').textContent = '';
    SA.show('view-receipt');
    const id = encodeURIComponent(done.id);
    try {
      const r = await api('GET', '/v1/sales/' + id + '/receipt?width=58&locale=' + encodeURIComponent(SA.locale));
      $('#receipt-text').textContent = r.text;
      if (r.claim_url) {
        const svg = await api('GET', '/v1/sales/' + id + '/claim-qr.svg', undefined, { text: true });
        const node = SA.svgNode(svg);
        if (node && receiptFor === done.id) {
          node.setAttribute('role', 'img');
          node.setAttribute('aria-label', SA.t('screen.claim_qr'));
          $('#claim-qr').append(node);
          $('#claim').hidden = false;
        }
      }
    } catch (e) {
      if (e.status !== 404) fail(e);
    }
  }

  // The receipt view's own words (the receipt's text is the agent's).
  function renderReceiptWords() {
    if (!receiptShown) return;
    const { done, swap } = receiptShown;
    const x = swap && swap.exchange;
    const back = x && x.difference < 0 ? -x.difference : 0;
    const no = done.receipt_no;
    $('#receipt-title').textContent = x
      ? (no ? SA.t('screen.exchanged_receipt', { receipt: no }) : SA.t('screen.exchanged'))
      : (no ? SA.t('screen.paid_receipt', { receipt: no }) : SA.t('screen.paid'));
    $('#receipt-change').textContent = done.change > 0 ? SA.t('screen.change_to_give', { amount: money(done.change) })
      : back ? SA.t('screen.give_back_amount', { amount: money(back) }) : SA.t('screen.no_change');
    $('#receipt-exchange').hidden = !x;
    $('#receipt-exchange-money').textContent = '';
    if (x) {
      const worth = x.returned && typeof x.returned.amount === 'number' ? x.returned.amount : x.credit;
      const values = { items: itemNames(swap.shown), worth: money(worth) };
      $('#receipt-exchange-text').textContent =
        x.difference > 0 ? SA.t('screen.came_back_paid', Object.assign(values, { amount: money(x.difference) }))
          : back ? SA.t('screen.came_back_give', Object.assign(values, { amount: money(back) }))
            : SA.t('screen.came_back_even', values);
      if (back) $('#receipt-exchange-money').append(...paidBackItems(x.returned ? x.returned.payments : []));
    }
    const m = done.member;
    $('#receipt-member').hidden = !m;
    $('#receipt-member').textContent = !m ? '' : m.member_id ? SA.t('screen.points_member', { id: m.member_id })
      : SA.t('screen.points_phone', { phone: m.phone_masked });
  }

  function nextCustomer() {
    receiptFor = null;
    sale = null;
    SA.clearToast();
    SA.show('view-sale');
    loadSale().then(renderSale);
  }

  async function printReceipt() {
    if (!receiptFor) return;
    try {
      await api('POST', '/v1/sales/' + encodeURIComponent(receiptFor) + '/print', {});
      SA.toast(SA.t('screen.receipt_sent'), 'ok');
    } catch (e) { fail(e); }
  }

  // -------------------------------------------------------------- void

  async function voidSale(e) {
    e.preventDefault();
    if (!sale) return $('#dlg-void').close();
    const chosen = $('#void-form .reason.selected');
    try {
      await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/void',
        chosen ? { reason: chosen.dataset.reason } : {});
      $('#dlg-void').close();
      sale = null;
      renderSale();
      SA.toast(SA.t('screen.sale_voided'), 'info');
    } catch (ex) {
      $('#void-error').textContent = ex.words || String(ex);
    }
  }

  // ----------------------------------------------------------- returns

  function anyDialogOpen() { return $$('dialog').some((d) => d.open); }

  function openReturn() {
    if (exchange) return showError(SA.t('screen.finish_exchange_first'));
    found = null;
    $('#return-find').value = '';
    $('#return-error').textContent = '';
    $('#return-result').hidden = true;
    renderFound();
    SA.show('view-return');
    $('#return-find').focus();
  }

  function backToSelling() {
    found = null;
    SA.show('view-sale');
    loadSale().then(renderSale);
  }

  // What was typed or scanned, as a query: a receipt number (its last digits
  // are enough: this till adds its own device id) or a sold unit's label.
  async function lookupQuery(text) {
    if (/^\d{1,7}$/.test(text)) {
      if (!deviceId) deviceId = (await api('GET', '/v1/health')).device_id;
      return 'receipt_no=' + encodeURIComponent(deviceId + '-' + text.padStart(6, '0'));
    }
    if (text.length <= 100 && !/[\s/:]/.test(text) && /-\d{6,18}$/.test(text)) {
      return 'receipt_no=' + encodeURIComponent(text);
    }
    return 'code=' + encodeURIComponent(text);
  }

  async function findSale(text) {
    const t = String(text || '').trim();
    if (!t) return;
    $('#return-error').textContent = '';
    $('#return-find').value = '';
    try {
      found = await api('GET', '/v1/sales?' + await lookupQuery(t));
      $('#return-result').hidden = true;
      renderFound();
    } catch (e) {
      $('#return-error').textContent = e.words || String(e);
    }
  }

  function renderFound() {
    const s = found;
    $('#return-sale').hidden = !s;
    $('#return-hint').hidden = !!s || !$('#return-result').hidden;
    const list = $('#return-lines');
    list.textContent = '';
    if (s) {
      const voided = !!s.post_void;
      $('#return-title').textContent = SA.t('screen.receipt_title', { receipt: s.receipt_no || shortId(s.id) });
      $('#return-meta').textContent = SA.time(s.closed_at) + '  ·  ' + money(s.total);
      $('#return-paid').textContent = SA.t('screen.paid_by', {
        payments: paidByMethod(s).map((p) => methodName(p.method) + ' ' + money(p.amount)).join(', '),
      });
      $('#return-voided').hidden = !voided;
      $('#return-voided').textContent = voided
        ? SA.t('screen.sale_voided_note', { at: SA.time(s.post_void.at) }) : '';
      for (const l of s.lines) list.append(returnLine(l, voided));
    }
    updateReturn();
  }

  // One line of the sale: a unit comes back by its tick box, a plain item by
  // how many.
  function returnLine(l, voided) {
    const amount = el('div.line-amount', { text: money(l.amount) });
    // What of the line earlier returns already took back is not offered again.
    const left = leftOf(l);
    const done = voided || left <= 0;
    let body;
    if (l.serial) {
      const box = el('input.return-check', { type: 'checkbox', disabled: done,
        'aria-label': SA.t('screen.return_unit_aria', { name: SA.nameOf(l), serial: l.serial }) });
      box.addEventListener('change', updateReturn);
      body = el('label.return-pick', {}, box,
        el('div.line-main', {}, el('div.line-name', { text: SA.nameOf(l) }),
          el('div.line-serial.muted', { text: SA.t('screen.serial', { serial: l.serial }) +
            (left <= 0 ? ' · ' + SA.t('screen.returned') : '') })),
        amount);
    } else {
      const qty = el('input.input.return-qty', { type: 'number', min: '0', max: String(left), step: '1', value: '0',
        inputmode: 'numeric', disabled: done, 'aria-label': SA.t('screen.how_many_aria', { name: SA.nameOf(l) }) });
      const step = (by) => () => {
        qty.value = String(Math.min(left, Math.max(0, qtyOf(qty, left) + by)));
        updateReturn();
      };
      const less = el('button.btn.step', { type: 'button', text: '−', disabled: done, 'aria-label': SA.t('screen.one_less') });
      const more = el('button.btn.step', { type: 'button', text: '+', disabled: done, 'aria-label': SA.t('screen.one_more') });
      less.addEventListener('click', step(-1));
      more.addEventListener('click', step(1));
      qty.addEventListener('input', updateReturn);
      body = el('div.return-pick', {},
        el('div.line-main', {}, el('div.line-name', { text: SA.nameOf(l) }),
          el('div.line-serial.muted', { text: SA.t('screen.sold_qty', { qty: l.qty, price: money(l.unit_price) }) +
            (l.refunded ? ' · ' + SA.t('screen.n_returned', { count: l.refunded }) : '') })),
        el('div.stepper', {}, less, qty, more),
        amount);
    }
    return el('li.line.return-line' + (left <= 0 ? '.returned' : ''),
      { dataset: { line: String(l.id), gtin: l.gtin, serial: l.serial || '' } }, body);
  }

  // How many of a sold line may still come back.
  function leftOf(l) {
    return Math.max(0, l.qty - (l.refunded || 0));
  }

  // What `count` more units of plain line `l` bring back: its amount shared
  // by units, rounded down, as the agent pays it (pricing::ShareOf).
  function shareOf(l, count) {
    const from = BigInt(l.refunded || 0);
    const net = BigInt(l.amount);
    const qty = BigInt(l.qty);
    return Number(net * (from + BigInt(count)) / qty - net * from / qty);
  }

  // A quantity field's whole number from 0 to max (anything else is 0).
  function qtyOf(input, max) {
    const v = String(input.value || '').trim();
    if (!/^\d{1,7}$/.test(v)) return 0;
    return Math.min(Number(v), max);
  }

  // What comes back as the screen names it: {name, serial} or {name, qty}
  // (qty null: the name alone), in the language shown.
  function itemName(x) {
    if (x.serial) return SA.t('screen.name_serial', { name: x.name, serial: x.serial });
    return x.qty === null || x.qty === undefined ? x.name : x.name + ' × ' + x.qty;
  }
  function itemNames(list) { return list.map(itemName).join(', '); }

  // What the cashier chose to come back: the refund's serials and items,
  // what it is worth (the lines' own prices) and what the screen names (shown).
  function chosen() {
    const out = { serials: [], items: [], amount: 0, shown: [], count: 0 };
    if (!found) return out;
    const plain = new Map();
    for (const li of $$('#return-lines li.return-line')) {
      const l = found.lines.find((x) => String(x.id) === li.dataset.line);
      if (!l) continue;
      if (l.serial) {
        if (!$('input.return-check', li).checked) continue;
        out.serials.push({ gtin: l.gtin, serial: l.serial });
        out.amount += l.amount;  // what it sold for: its discounts off, VAT added on
        out.shown.push({ name: SA.nameOf(l), serial: l.serial });
        out.count += 1;
      } else {
        const q = qtyOf($('input.return-qty', li), leftOf(l));
        if (!q) continue;
        plain.set(l.gtin, (plain.get(l.gtin) || 0) + q);
        out.amount += shareOf(l, q);
        out.shown.push({ name: SA.nameOf(l), qty: q });
        out.count += q;
      }
    }
    for (const [gtin, qty] of plain) out.items.push({ gtin, qty });
    return out;
  }

  function updateReturn() {
    const c = chosen();
    const open = !!found && !found.post_void && !returnBusy;
    $('#return-amount').textContent = money(c.amount);
    $('#btn-refund').disabled = !open || !c.count;
    $('#btn-exchange').disabled = !open || !c.count;
    $('#btn-post-void').disabled = !open;
  }

  function setReturnBusy(busy) {
    returnBusy = busy;
    updateReturn();
  }

  // The refund's body without the approval; the approval is added per try.
  function returnBody(c) {
    const body = { sale_id: found.id };
    if (c.serials.length) body.serials = c.serials;
    if (c.items.length) body.items = c.items;
    return body;
  }

  function withApproval(body, approval) {
    return approval ? Object.assign({}, body, { approval }) : body;
  }

  async function refund() {
    const c = chosen();
    if (!found || !c.count || returnBusy) return;
    const from = found;
    const body = returnBody(c);
    $('#return-error').textContent = '';
    setReturnBusy(true);
    try {
      const r = await SA.withManager(
        (approval) => api('POST', '/v1/refunds', withApproval(body, approval)),
        SA.t('screen.refund_what', { amount: money(c.amount), receipt: from.receipt_no }));
      showReturnResult(() => SA.t('screen.refunded_title', { amount: money(r.amount), receipt: from.receipt_no }),
        r.payments, c.shown, r.approved_by, r.id);
      SA.toast(SA.t('screen.refund_done'), 'ok');
    } catch (e) {
      if (e.code !== 'cancelled') $('#return-error').textContent = e.words || String(e);
    } finally {
      setReturnBusy(false);
    }
  }

  // title: a function (the words follow the language shown).
  // `slipId`: the refund (or post-void) whose slip the screen shows.
  function showReturnResult(title, payments, shown, approvedBy, slipId) {
    found = null;
    result = { title, payments, shown, approvedBy, slipId };
    $('#return-result').hidden = false;
    renderFound();
    renderResult();
  }

  function renderResult() {
    if (!result) return;
    const { title, payments, shown, approvedBy, slipId } = result;
    $('#result-receipt').hidden = !slipId;
    $('#btn-result-print').hidden = !slipId;
    if (slipId) SA.showSlip(slipId, $('#result-receipt'));
    $('#result-title').textContent = title();
    const m = $('#result-money');
    m.textContent = '';
    m.append(...paidBackItems(payments));
    const items = $('#result-items');
    items.textContent = '';
    items.append(...shown.map((x) => el('li', { text: itemName(x) })));
    const who = { manager: approvedBy && approvedBy.manager };
    const via = approvedBy && approvedBy.via;
    $('#result-approved').textContent = !who.manager ? ''
      : via === 'pin' ? SA.t('screen.approved_pin', who)
        : via === 'session' ? SA.t('screen.approved_session', who)
          : via === 'api_token' ? SA.t('screen.approved_token', who) : SA.t('screen.approved', who);
  }

  // Money going back, one line per method: cash out of this drawer, the
  // rest back to the payment it came from (its reference).
  function paidBackItems(payments) {
    if (!payments || !payments.length) return [el('li', { text: SA.t('screen.no_money_back') })];
    return payments.map((p) => el('li.paid-back-line', { dataset: { method: p.method } },
      el('span.method', { text: methodName(p.method) }),
      el('span.amount', { text: money(p.amount) }),
      el('span.how', { text: p.method === 'cash' ? SA.t('screen.pay_out_drawer')
        : p.ref ? SA.t('screen.back_to_payment_ref', { ref: p.ref }) : SA.t('screen.back_to_payment') })));
  }

  // What a sale took by each method (cash net of change), with the first
  // reference of each: where a whole-sale void pays back to.
  function paidByMethod(s) {
    const out = [];
    for (const p of s.payments || []) {
      const m = out.find((x) => x.method === p.method);
      if (m) m.amount += p.amount;
      else out.push({ method: p.method, amount: p.amount, ref: p.ref || '' });
    }
    const cash = out.find((x) => x.method === 'cash');
    if (cash && s.change > 0) cash.amount -= s.change;
    return out.filter((x) => x.amount > 0);
  }

  // ----------------------------------------------------- post-void

  function openPostVoid() {
    if (!found || found.post_void || returnBusy) return;
    $('#post-void-error').textContent = '';
    for (const b of $$('#post-void-form .reason')) b.classList.remove('selected');
    $('#post-void-text').textContent = SA.t('screen.post_void_text',
      { receipt: found.receipt_no, amount: money(found.total) });
    $('#dlg-post-void').showModal();
  }

  async function postVoid(e) {
    e.preventDefault();
    if (!found) return $('#dlg-post-void').close();
    const reason = $('#post-void-form .reason.selected');
    if (!reason) { $('#post-void-error').textContent = SA.t('common.err.invalid_reason'); return; }
    const from = found;
    const body = { reason: reason.dataset.reason };
    $('#post-void-error').textContent = '';
    $('#post-void-submit').disabled = true;
    setReturnBusy(true);
    try {
      const v = await SA.withManager(
        (approval) => api('POST', '/v1/sales/' + encodeURIComponent(from.id) + '/void', withApproval(body, approval)),
        SA.t('screen.post_void_what', { receipt: from.receipt_no, amount: money(from.total) }));
      $('#dlg-post-void').close();
      const pv = v.post_void || {};
      showReturnResult(() => SA.t('screen.voided_title', { receipt: from.receipt_no, amount: money(pv.amount || v.total) }),
        paidByMethod(v), v.lines.map((l) => ({ name: SA.nameOf(l), serial: l.serial || null, qty: l.qty > 1 ? l.qty : null })),
        pv.approved_by, pv.id);
      SA.toast(SA.t('screen.sale_voided'), 'ok');
    } catch (ex) {
      if (ex.code !== 'cancelled') $('#post-void-error').textContent = ex.words || String(ex);
    } finally {
      $('#post-void-submit').disabled = false;
      setReturnBusy(false);
    }
  }

  // ------------------------------------------------------ exchange

  // What comes back is chosen; the goods taken instead are scanned into a
  // cart of their own (the normal cart), then paid for by the difference.
  async function startExchange() {
    const c = chosen();
    if (!found || !c.count || returnBusy) return;
    const from = found;
    $('#return-error').textContent = '';
    setReturnBusy(true);
    try {
      await loadSale();
      if (sale && sale.status === 'open' && sale.lines && sale.lines.length) {
        $('#return-error').textContent = SA.t('screen.exchange_cart_busy');
        return;
      }
      await ensureSale();
      exchange = { from, serials: c.serials, items: c.items, credit: c.amount, shown: c.shown };
      found = null;
      SA.show('view-sale');
      renderSale();
      $('#scan-input').focus();
    } catch (e) {
      $('#return-error').textContent = e.words || String(e);
    } finally {
      setReturnBusy(false);
    }
  }

  async function completeExchange(payments) {
    const ex = exchange;
    const cart = sale;
    const body = { sale_id: ex.from.id, cart_id: cart.id, payments };
    if (ex.serials.length) body.serials = ex.serials;
    if (ex.items.length) body.items = ex.items;
    $('#pay-error').textContent = '';
    $('#pay-submit').disabled = true;
    try {
      const r = await SA.withManager(
        (approval) => api('POST', '/v1/exchanges', withApproval(body, approval)),
        SA.t('screen.exchange_what', { receipt: ex.from.receipt_no, amount: money(ex.credit) }));
      exchange = null;
      await showReceipt(r.sale, { exchange: r, shown: ex.shown });
      SA.toast(SA.t('screen.exchange_done'), 'ok');
    } catch (e) {
      if (e.code !== 'cancelled') $('#pay-error').textContent = e.words || String(e);
      updateChange();
    }
  }

  // ---------------------------------------------------- scans and events

  function onScan(code) {
    const v = view();
    if (v === 'view-login' || v === 'view-loading' || !session) return;
    if ($('#dlg-approval').open) return showError(SA.t('screen.finish_approval'));
    if ($('#dlg-post-void').open) return showError(SA.t('screen.finish_void'));
    if (v === 'view-return') return findSale(code);
    if (/^SAM1:/.test(code)) {
      if (v === 'view-sale' || $('#dlg-member').open) return bindMember({ payload: code });
    }
    if ($('#dlg-pay').open || $('#dlg-void').open || $('#dlg-close').open) {
      return showError(SA.t('screen.finish_payment'));
    }
    if ($('#dlg-member').open) return bindMember({ payload: code });
    if (v === 'view-receipt') nextCustomer();
    else if (v !== 'view-sale') return showError(SA.t('screen.open_till_first'));
    scanItem(code);
  }

  function onEvent(type, d) {
    if (!d || typeof d !== 'object') return;
    if (type === 'sale' && d.terminal === T()) {
      ++saleEvents;
      if (d.status === 'open') {
        if (!sale || sale.id === d.id || sale.status !== 'open') {
          const fresh = !sale || sale.id !== d.id;
          sale = d;
          if (view() === 'view-receipt' && fresh && d.lines && d.lines.length) {
            receiptFor = null;
            SA.show('view-sale');
          }
          if (view() === 'view-sale') renderSale();
        }
      } else if (d.status === 'completed') {
        // An exchange shows its own receipt when the agent answers.
        if (sale && sale.id === d.id && view() === 'view-sale' && !$('#dlg-pay').open && !exchange) showReceipt(d);
      } else if (d.status === 'voided') {
        if (sale && sale.id === d.id) {
          sale = null;
          if (view() === 'view-sale') renderSale();
        }
      }
    } else if (type === 'scan' && d.terminal === T() && d.source !== 'api') {
      if (d.mode !== 'sale' || !d.outcome) return;
      if (view() === 'view-return' && !anyDialogOpen()) {
        // The till's scanner reads a unit the customer brings back: the
        // agent refuses it for the cart (it is sold), the screen finds its sale.
        if (d.outcome === 'serial_already_sold' && d.payload) return findSale(d.payload);
        if (d.outcome === 'accepted') return showError(SA.t('screen.item_not_sold'));
      }
      if (d.outcome !== 'accepted') showError(SA.words(d.outcome));
      else if ($('#toast.error')) SA.clearToast();  // the next good scan clears the last refusal
    } else if (type === 'terminal' && d.terminal === T()) {
      setMode(d.mode, d.order_id);
    }
  }

  function onLive(up) {
    live = up;
    renderLive();
    if (live && shift && view() === 'view-sale') loadSale().then(renderSale);
  }

  function renderLive() {
    const p = $('#hdr-live');
    if (live === null) return;
    p.textContent = live ? SA.t('common.live') : SA.t('common.reconnecting');
    p.classList.toggle('off', !live);
    p.classList.toggle('on', live);
  }

  function setMode(m, orderId) {
    mode = m || 'sale';
    modeOrder = orderId || null;
    const what = mode === 'receive' ? SA.t('screen.mode_receive') : mode === 'count' ? SA.t('screen.mode_count')
      : mode === 'pick' ? SA.t('screen.mode_pick', { order: orderId || '' }) : mode;
    $('#mode-banner').hidden = mode === 'sale';
    $('#mode-text').textContent = mode === 'sale' ? '' : SA.t('screen.mode_banner', { what });
  }

  async function backToSaleMode() {
    try {
      const t = await api('POST', '/v1/terminals/' + encodeURIComponent(T()) + '/mode', { mode: 'sale' });
      setMode(t.mode, t.order_id);
    } catch (e) { fail(e); }
  }

  async function refreshSync() {
    if (!session) return;
    try {
      const s = await api('GET', '/v1/sync');
      const p = $('#hdr-sync');
      p.hidden = !s || s.enabled === false;
      if (!s || s.enabled === false) return;
      const n = s.pending_events || 0;
      p.textContent = !s.online ? (n ? SA.t('screen.sync_offline_waiting', { count: n }) : SA.t('screen.sync_offline'))
        : n ? SA.t('screen.sync_waiting', { count: n }) : SA.t('screen.synced');
      p.classList.toggle('off', !s.online);
      p.classList.toggle('on', !!s.online && !n);
    } catch (e) { /* not shown */ }
  }

  // ---------------------------------------------------------- language

  // Another language chosen: the page's own texts are already written
  // (SA.applyI18n); write again what this script wrote into the view shown.
  function relabel() {
    renderLive();
    if (!session) return;
    setMode(mode, modeOrder);
    refreshSync();
    const v = view();
    if (v === 'view-sale') renderSale();
    if (v === 'view-receipt') renderReceiptWords();
    if (v === 'view-zreport') renderZWarnings();
    if (v === 'view-return') {
      // Written again with what the cashier ticked or counted kept.
      const kept = new Map($$('#return-lines li.return-line').map((li) => {
        const box = $('input.return-check', li), qty = $('input.return-qty', li);
        return [li.dataset.line, box ? box.checked : qty ? qty.value : null];
      }));
      renderFound();
      for (const li of $$('#return-lines li.return-line')) {
        const v2 = kept.get(li.dataset.line);
        if (v2 === undefined || v2 === null) continue;
        const box = $('input.return-check', li), qty = $('input.return-qty', li);
        if (box) box.checked = v2;
        else if (qty) qty.value = v2;
      }
      updateReturn();
      if (!$('#return-result').hidden) renderResult();
    }
  }

  // -------------------------------------------------------------- wiring

  async function wire() {
    SA.onLocale = relabel;
    SA.wireLocale();
    SA.onLoggedOut = () => loggedOut(SA.t('common.err.unauthorized'));
    SA.wireLogin(afterLogin);
    SA.wedge(onScan);
    $('#btn-logout').addEventListener('click', async () => { await SA.logout(); loggedOut(''); });
    $('#btn-close-shift').addEventListener('click', openCloseDialog);
    $('#btn-x-report').addEventListener('click', showX);
    $('#xreport-refresh').addEventListener('click', showX);
    SA.wireDrawer(T);
    SA.wirePrice(setSale);
    SA.wireDiscount(() => sale, setSale);
    $('#btn-result-print').addEventListener('click', SA.printSlip);
    $('#btn-sale-mode').addEventListener('click', backToSaleMode);
    $('#open-shift-form').addEventListener('submit', openShift);
    for (const b of $$('#open-shift-form [data-float]')) {
      b.addEventListener('click', () => { $('#float-amount').value = plainYuan(Number(b.dataset.float)); });
    }
    $('#btn-member').addEventListener('click', openMember);
    $('#member-cancel').addEventListener('click', () => $('#dlg-member').close());
    $('#member-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const phone = $('#member-phone').value.trim();
      if (!phone) { $('#member-error').textContent = SA.t('screen.member_phone_missing'); return; }
      bindMember({ phone });
    });
    $('#btn-pay').addEventListener('click', openPay);
    for (const b of $$('#pay-methods .method')) b.addEventListener('click', () => chooseMethod(b.dataset.method));
    $('#pay-tendered').addEventListener('input', updateChange);
    $('#pay-amount').addEventListener('input', updateChange);
    $('#pay-cancel').addEventListener('click', () => $('#dlg-pay').close());
    $('#pay-form').addEventListener('submit', completeSale);
    $('#btn-void').addEventListener('click', () => {
      $('#void-error').textContent = '';
      for (const b of $$('#void-form .reason')) b.classList.remove('selected');
      $('#dlg-void').showModal();
    });
    SA.wireReasons('#void-form');
    $('#void-cancel').addEventListener('click', () => $('#dlg-void').close());
    $('#void-form').addEventListener('submit', voidSale);
    $('#close-cancel').addEventListener('click', () => $('#dlg-close').close());
    $('#close-form').addEventListener('submit', closeShift);
    $('#btn-next').addEventListener('click', nextCustomer);
    $('#btn-print').addEventListener('click', printReceipt);
    $('#btn-z-new').addEventListener('click', showOpenShift);
    $('#btn-return').addEventListener('click', openReturn);
    $('#btn-return-back').addEventListener('click', backToSelling);
    $('#btn-return-new').addEventListener('click', openReturn);
    $('#return-find-form').addEventListener('submit', (e) => { e.preventDefault(); findSale($('#return-find').value); });
    $('#btn-refund').addEventListener('click', refund);
    $('#btn-exchange').addEventListener('click', startExchange);
    $('#btn-exchange-cancel').addEventListener('click', cancelExchange);
    $('#btn-post-void').addEventListener('click', openPostVoid);
    SA.wireReasons('#post-void-form', '#post-void-error');
    $('#post-void-cancel').addEventListener('click', () => $('#dlg-post-void').close());
    $('#post-void-form').addEventListener('submit', postVoid);
    $('#btn-z-logout').addEventListener('click', async () => { await SA.logout(); loggedOut(''); });

    // The words first: nothing is shown before them.
    await SA.loadMessages();
    const s = SA.session();
    if (s) afterLogin(s);
    else loggedOut('');
  }

  document.addEventListener('DOMContentLoaded', wire);
})();
