// SPDX-License-Identifier: Apache-2.0
// The cashier screen (served at /): log in, open the till, sell (scans from
// the till's scanner arrive over /v1/events; a keyboard-wedge scanner on
// this page works too), bind a member, take payment, show the receipt with
// its claim QR, void, close the shift and show the Z report. Returns: find a
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
  // taken instead are scanned into the cart. {from, serials, items, credit, names}
  let exchange = null;
  let deviceId = null;   // this agent's device id: every receipt number starts with it

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
    $('#btn-close-shift').hidden = false;
    await loadSale();
    SA.show('view-sale');
    renderSale();
  }

  // ------------------------------------------------------------- shift

  function showOpenShift() {
    $('#btn-close-shift').hidden = true;
    $('#open-shift-error').textContent = '';
    SA.show('view-open-shift');
  }

  async function openShift(e) {
    e.preventDefault();
    const fen = SA.parseYuan($('#float-amount').value);
    if (fen === null) {
      $('#open-shift-error').textContent = 'Enter the cash in the drawer, like 200 or 200.50';
      return;
    }
    $('#open-shift-submit').disabled = true;
    try {
      shift = await api('POST', '/v1/shifts', { terminal: T(), opening_float: fen });
      $('#btn-close-shift').hidden = false;
      await loadSale();
      SA.show('view-sale');
      renderSale();
      SA.toast('Shift open with ' + money(fen) + ' in the drawer', 'ok');
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
      box.append(el('p.warn', { text: 'A sale is still in the cart. Finish it or void it first, or it stays open for the next shift.' }));
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
      text: message || (n + (n === 1 ? ' event is' : ' events are') +
        ' still waiting to sync with the cloud. They are kept safely on this till and will be sent when the connection is back.'),
    });
  }

  async function closeShift(e) {
    e.preventDefault();
    const fen = SA.parseYuan($('#close-counted').value);
    if (fen === null) {
      $('#close-error').textContent = 'Enter the cash you counted, like 1234.50';
      return;
    }
    $('#close-submit').disabled = true;
    try {
      const r = await api('POST', '/v1/shifts/' + encodeURIComponent(shift.id) + '/close', { counted_cash: fen });
      $('#dlg-close').close();
      shift = null;
      $('#btn-close-shift').hidden = true;
      renderZ(r.report || {}, r.warnings || []);
      refreshSync();
    } catch (ex) {
      $('#close-error').textContent = ex.words || String(ex);
    } finally {
      $('#close-submit').disabled = false;
    }
  }

  function renderZ(r, warnings) {
    const w = $('#z-warnings');
    w.textContent = '';
    for (const x of warnings) {
      w.append(x.code === 'events_pending_sync'
        ? pendingWarning(x.pending_events || 0)
        : el('p.warn', { text: x.message || x.code }));
    }
    const rows = [];
    const row = (k, v, cls) => el('tr' + (cls ? '.' + cls : ''), {}, el('th', { text: k }), el('td', { text: v }));
    const sales = r.sales || {}, refunds = r.refunds || {}, voids = r.voids || {}, cash = r.cash || {};
    const postVoids = r.post_voids || {};
    rows.push(row('Till', (r.terminal || T()) + (r.cashier ? ' — ' + r.cashier : '')));
    rows.push(row('Opened', SA.time(r.opened_at)));
    rows.push(row('Closed', SA.time(r.closed_at)));
    rows.push(row('Sales', (sales.count || 0) + '  ·  ' + money(sales.total || 0)));
    rows.push(row('Refunds', (refunds.count || 0) + '  ·  ' + money(refunds.total || 0)));
    rows.push(row('Voided carts', String(voids.count || 0)));
    rows.push(row('Post-voids', (postVoids.count || 0) + '  ·  ' + money(postVoids.total || 0)));
    const top = el('table.ztable', {}, el('tbody', {}, rows));
    const methods = el('table.ztable', {},
      el('thead', {}, el('tr', {}, el('th', { text: 'Method' }), el('th', { text: 'Sales' }),
        el('th', { text: 'Refunds' }), el('th', { text: 'Net' }))),
      el('tbody', {}, (r.by_method || []).map((m) => el('tr', {},
        el('td', { text: methodName(m.method) }), el('td', { text: money(m.sales || 0) }),
        el('td', { text: money(m.refunds || 0) }), el('td', { text: money(m.net || 0) })))));
    const variance = cash.variance || 0;
    const cashTable = el('table.ztable', {}, el('tbody', {},
      row('Float', money(cash.opening_float || 0)),
      row('Cash taken', money(cash.sales || 0)),
      row('Change given', money(cash.change_given || 0)),
      row('Cash refunded', money(cash.refunds || 0)),
      row('Expected in drawer', money(cash.expected || 0)),
      row('Counted', money(cash.counted || 0)),
      row('Over / short', (variance > 0 ? '+' : '') + money(variance), variance === 0 ? 'ok' : 'bad')));
    const body = $('#z-body');
    body.textContent = '';
    body.append(
      el('div.zcol', {}, top, el('h3', { text: 'By payment method' }), methods),
      el('div.zcol', {}, el('h3', { text: 'Cash drawer' }), cashTable));
    SA.show('view-zreport');
  }

  // -------------------------------------------------------------- sale

  async function loadSale() {
    try {
      const t = await api('GET', '/v1/terminals/' + encodeURIComponent(T()));
      setMode(t.mode, t.order_id);
      if (t.open_sale) {
        sale = await api('GET', '/v1/sales/' + encodeURIComponent(t.open_sale));
      } else if (sale && sale.status === 'open') {
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
      const rm = el('button.btn.remove', { type: 'button', 'aria-label': 'Remove ' + l.name, text: 'Remove' });
      rm.addEventListener('click', () => removeLine(l.id));
      list.append(el('li.line', { dataset: { line: String(l.id), gtin: l.gtin } },
        el('div.line-main', {},
          el('div.line-name', { text: l.name + (l.qty > 1 ? '  × ' + l.qty : '') }),
          el('div.line-serial.muted', { text: l.serial ? 'Serial ' + l.serial : l.gtin })),
        el('div.line-amount', { text: money(l.amount) }),
        rm));
    }
    list.scrollTop = list.scrollHeight;
    $('#cart-empty').hidden = lines.length > 0;
    $('#sale-total').textContent = money(lines.length ? sale.total : 0);
    $('#sale-no').textContent = sale && sale.status === 'open' ? 'Sale ' + shortId(sale.id) : '';
    const m = sale && sale.status === 'open' ? sale.member : null;
    $('#member-text').textContent = m ? (m.member_id ? 'Member ' + m.member_id : 'Phone ' + m.phone_masked) : 'No member';
    $('#member-box').classList.toggle('bound', !!m);
    $('#btn-pay').disabled = !lines.length;
    $('#btn-void').disabled = !(sale && sale.status === 'open');
    renderExchange(lines.length ? sale.total : 0);
  }

  // The exchange under way, above and below the cart: what comes back, and
  // what the customer pays (or gets back) for the goods scanned in.
  function renderExchange(total) {
    const ex = exchange;
    $('#exchange-box').hidden = !ex;
    $('#exchange-sums').hidden = !ex;
    $('#btn-pay').textContent = ex ? 'Exchange' : 'Pay';
    $('#btn-return').disabled = !!ex;
    $('#cart-empty').textContent = ex ? 'Scan what the customer takes instead' : 'Scan an item to start a sale';
    if (!ex) return;
    $('#exchange-receipt').textContent = 'for receipt ' + ex.from.receipt_no;
    $('#exchange-text').textContent = 'Comes back: ' + ex.names.join(', ');
    $('#exchange-credit').textContent = money(-ex.credit);
    const diff = total - ex.credit;
    $('#exchange-due-label').textContent = diff >= 0 ? 'Customer pays' : 'Give back';
    $('#exchange-due').textContent = money(diff >= 0 ? diff : -diff);
  }

  function cancelExchange() {
    exchange = null;
    renderSale();
    SA.toast('Exchange cancelled: the cart is a sale of its own now', 'info');
  }

  function shortId(id) { return String(id).slice(-6); }

  async function scanItem(code) {
    try {
      await ensureSale();
      const s = await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/scans', { payload: code });
      setSale(s);
      const last = s.lines[s.lines.length - 1];
      SA.toast(last ? 'Added ' + last.name : 'Scanned', 'ok');
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
      SA.toast('Member added to this sale', 'ok');
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

  function methodName(m) {
    return { cash: 'Cash', card: 'Card', wechat: 'WeChat Pay', alipay: 'Alipay', unionpay: 'UnionPay', voucher: 'Voucher',
      exchange: 'Exchange credit' }[m] || m;
  }

  // What the customer pays now: the cart's total, or in an exchange what the
  // goods taken cost beyond what comes back (0 when the return covers them).
  function due() {
    if (!sale) return 0;
    return exchange ? Math.max(sale.total - exchange.credit, 0) : sale.total;
  }

  function openPay() {
    if (!sale || !sale.lines.length) return;
    payMethod = null;
    const total = due();
    const ex = exchange;
    const nothing = !!ex && total === 0;
    $('#pay-title').textContent = ex ? (nothing ? 'Exchange' : 'Exchange — customer pays') : 'Payment';
    $('#pay-total').textContent = nothing ? '' : money(total);
    $('#pay-methods').hidden = nothing;
    $('#pay-none').hidden = !nothing;
    if (nothing) {
      const back = ex.credit - sale.total;
      $('#pay-none').textContent = back > 0
        ? 'Nothing to pay. ' + money(back) + ' goes back to the customer the way they paid for receipt ' + ex.from.receipt_no + '.'
        : 'Nothing to pay: what comes back covers the new items.';
    }
    $('#pay-submit').textContent = ex ? 'Complete exchange' : 'Complete sale';
    $('#pay-error').textContent = '';
    $('#pay-tendered').value = '';
    $('#pay-ref').value = '';
    $('#pay-cash').hidden = true;
    $('#pay-other').hidden = true;
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
      const b = el('button.btn', { type: 'button', text: a === total ? 'Exact ' + money(a) : money(a) });
      b.addEventListener('click', () => { $('#pay-tendered').value = plainYuan(a); updateChange(); });
      q.append(b);
    }
    updateChange();
    $('#dlg-pay').showModal();
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
    updateChange();
  }

  function updateChange() {
    const submit = $('#pay-submit');
    if (sale && exchange && due() === 0) { submit.disabled = false; return; }
    if (!payMethod || !sale) { submit.disabled = true; return; }
    if (payMethod !== 'cash') { submit.disabled = false; return; }
    const total = due();
    const t = SA.parseYuan($('#pay-tendered').value);
    const ok = t !== null && t >= total;
    $('#pay-change').textContent = ok ? money(t - total) : '—';
    submit.disabled = !ok;
  }

  async function completeSale(e) {
    e.preventDefault();
    if (!sale) return;
    const total = due();
    if (exchange && total === 0) return completeExchange([]);
    if (!payMethod) return;
    const p = { method: payMethod, amount: total };
    if (payMethod === 'cash') {
      const t = SA.parseYuan($('#pay-tendered').value);
      if (t === null || t < total) { $('#pay-error').textContent = 'Not enough cash for the total'; return; }
      p.amount = t;
    } else if ($('#pay-ref').value.trim()) {
      p.ref = $('#pay-ref').value.trim();
    }
    if (exchange) return completeExchange([p]);
    $('#pay-submit').disabled = true;
    // One key per sale and payment: a retry after a lost answer (a tap
    // again, a flaky cable) gets the first answer back, never a second charge.
    const key = 'complete:' + sale.id + ':' + p.method + ':' + p.amount + ':' + (p.ref || '');
    try {
      const done = await api('POST', '/v1/sales/' + encodeURIComponent(sale.id) + '/complete', { payments: [p] }, { key });
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

  // `swap`: the exchange this sale completed ({exchange: the answer, names}).
  async function showReceipt(done, swap) {
    if (receiptFor === done.id) return;
    receiptFor = done.id;
    for (const d of $$('dialog')) if (d.open) d.close();
    sale = null;
    SA.clearToast();
    const x = swap && swap.exchange;
    const back = x && x.difference < 0 ? -x.difference : 0;
    $('#receipt-title').textContent = (x ? 'Exchanged' : 'Paid') + (done.receipt_no ? ' — receipt ' + done.receipt_no : '');
    $('#receipt-change').textContent = done.change > 0 ? 'Change to give: ' + money(done.change)
      : back ? 'Give back: ' + money(back) : 'No change';
    $('#receipt-exchange').hidden = !x;
    $('#receipt-exchange-money').textContent = '';
    if (x) {
      const worth = x.returned && typeof x.returned.amount === 'number' ? x.returned.amount : x.credit;
      $('#receipt-exchange-text').textContent = 'Came back: ' + swap.names.join(', ') + ' (' + money(worth) + '). ' +
        (x.difference > 0 ? 'The customer paid the difference, ' + money(x.difference) + '.'
          : back ? money(back) + ' goes back to the customer:' : 'Nothing more to pay.');
      if (back) $('#receipt-exchange-money').append(...paidBackItems(x.returned ? x.returned.payments : []));
    }
    $('#receipt-text').textContent = 'Loading the receipt…';
    $('#claim').hidden = true;
    $('#claim-qr').textContent = '';
    const m = done.member;
    $('#receipt-member').hidden = !m;
    $('#receipt-member').textContent = m ? 'Points go to ' + (m.member_id ? 'member ' + m.member_id : 'phone ' + m.phone_masked) : '';
    SA.show('view-receipt');
    const id = encodeURIComponent(done.id);
    try {
      const r = await api('GET', '/v1/sales/' + id + '/receipt?width=58');
      $('#receipt-text').textContent = r.text;
      if (r.claim_url) {
        const svg = await api('GET', '/v1/sales/' + id + '/claim-qr.svg', undefined, { text: true });
        const node = SA.svgNode(svg);
        if (node && receiptFor === done.id) {
          node.setAttribute('role', 'img');
          node.setAttribute('aria-label', 'Claim QR code');
          $('#claim-qr').append(node);
          $('#claim').hidden = false;
        }
      }
    } catch (e) {
      if (e.status !== 404) fail(e);
    }
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
      SA.toast('Receipt sent to the printer', 'ok');
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
      SA.toast('Sale voided', 'info');
    } catch (ex) {
      $('#void-error').textContent = ex.words || String(ex);
    }
  }

  // ----------------------------------------------------------- returns

  function anyDialogOpen() { return $$('dialog').some((d) => d.open); }

  function openReturn() {
    if (exchange) return showError('Finish or cancel the exchange first');
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
      $('#return-title').textContent = 'Receipt ' + (s.receipt_no || shortId(s.id));
      $('#return-meta').textContent = SA.time(s.closed_at) + '  ·  ' + money(s.total);
      $('#return-paid').textContent = 'Paid by ' +
        paidByMethod(s).map((p) => methodName(p.method) + ' ' + money(p.amount)).join(', ');
      $('#return-voided').hidden = !voided;
      $('#return-voided').textContent = voided
        ? 'This sale was voided (' + SA.time(s.post_void.at) + '): nothing of it is left to return.' : '';
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
        'aria-label': 'Return ' + l.name + ', serial ' + l.serial });
      box.addEventListener('change', updateReturn);
      body = el('label.return-pick', {}, box,
        el('div.line-main', {}, el('div.line-name', { text: l.name }),
          el('div.line-serial.muted', { text: 'Serial ' + l.serial + (left <= 0 ? ' · returned' : '') })),
        amount);
    } else {
      const qty = el('input.input.return-qty', { type: 'number', min: '0', max: String(left), step: '1', value: '0',
        inputmode: 'numeric', disabled: done, 'aria-label': 'How many ' + l.name + ' come back' });
      const step = (by) => () => {
        qty.value = String(Math.min(left, Math.max(0, qtyOf(qty, left) + by)));
        updateReturn();
      };
      const less = el('button.btn.step', { type: 'button', text: '−', disabled: done, 'aria-label': 'One less' });
      const more = el('button.btn.step', { type: 'button', text: '+', disabled: done, 'aria-label': 'One more' });
      less.addEventListener('click', step(-1));
      more.addEventListener('click', step(1));
      qty.addEventListener('input', updateReturn);
      body = el('div.return-pick', {},
        el('div.line-main', {}, el('div.line-name', { text: l.name }),
          el('div.line-serial.muted', { text: 'Sold ' + l.qty + ' × ' + money(l.unit_price) +
            (l.refunded ? ' · ' + l.refunded + ' returned' : '') })),
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

  // A quantity field's whole number from 0 to max (anything else is 0).
  function qtyOf(input, max) {
    const v = String(input.value || '').trim();
    if (!/^\d{1,7}$/.test(v)) return 0;
    return Math.min(Number(v), max);
  }

  // What the cashier chose to come back: the refund's serials and items,
  // what it is worth (the lines' own prices) and its names for the screen.
  function chosen() {
    const out = { serials: [], items: [], amount: 0, names: [], count: 0 };
    if (!found) return out;
    const plain = new Map();
    for (const li of $$('#return-lines li.return-line')) {
      const l = found.lines.find((x) => String(x.id) === li.dataset.line);
      if (!l) continue;
      if (l.serial) {
        if (!$('input.return-check', li).checked) continue;
        out.serials.push({ gtin: l.gtin, serial: l.serial });
        out.amount += l.unit_price;
        out.names.push(l.name + ' (serial ' + l.serial + ')');
        out.count += 1;
      } else {
        const q = qtyOf($('input.return-qty', li), leftOf(l));
        if (!q) continue;
        plain.set(l.gtin, (plain.get(l.gtin) || 0) + q);
        out.amount += l.unit_price * q;
        out.names.push(l.name + ' × ' + q);
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
        'Refund of ' + money(c.amount) + ' on receipt ' + from.receipt_no);
      showReturnResult('Refunded ' + money(r.amount) + ' — receipt ' + from.receipt_no, r.payments, c.names,
        r.approved_by);
      SA.toast('Refund done', 'ok');
    } catch (e) {
      if (e.code !== 'cancelled') $('#return-error').textContent = e.words || String(e);
    } finally {
      setReturnBusy(false);
    }
  }

  function showReturnResult(title, payments, names, approvedBy) {
    found = null;
    $('#return-result').hidden = false;
    renderFound();
    $('#result-title').textContent = title;
    const m = $('#result-money');
    m.textContent = '';
    m.append(...paidBackItems(payments));
    const items = $('#result-items');
    items.textContent = '';
    items.append(...names.map((n) => el('li', { text: n })));
    const via = { pin: ' with their PIN', session: ' (logged in)', api_token: ' (on the store box)' };
    $('#result-approved').textContent = approvedBy && approvedBy.manager
      ? 'Approved by ' + approvedBy.manager + (via[approvedBy.via] || '') : '';
  }

  // Money going back, one line per method: cash out of this drawer, the
  // rest back to the payment it came from (its reference).
  function paidBackItems(payments) {
    if (!payments || !payments.length) return [el('li', { text: 'No money goes back' })];
    return payments.map((p) => el('li.paid-back-line', { dataset: { method: p.method } },
      el('span.method', { text: methodName(p.method) }),
      el('span.amount', { text: money(p.amount) }),
      el('span.how', { text: p.method === 'cash' ? 'Pay it out from the drawer'
        : 'Back to the original payment' + (p.ref ? ' (ref ' + p.ref + ')' : '') })));
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
    $('#post-void-text').textContent = 'Receipt ' + found.receipt_no + ': every item goes back in stock and ' +
      money(found.total) + ' goes back to the customer the way they paid.';
    $('#dlg-post-void').showModal();
  }

  async function postVoid(e) {
    e.preventDefault();
    if (!found) return $('#dlg-post-void').close();
    const reason = $('#post-void-form .reason.selected');
    if (!reason) { $('#post-void-error').textContent = 'Choose why the sale is voided'; return; }
    const from = found;
    const body = { reason: reason.dataset.reason };
    $('#post-void-error').textContent = '';
    $('#post-void-submit').disabled = true;
    setReturnBusy(true);
    try {
      const v = await SA.withManager(
        (approval) => api('POST', '/v1/sales/' + encodeURIComponent(from.id) + '/void', withApproval(body, approval)),
        'Void of receipt ' + from.receipt_no + ' (' + money(from.total) + ')');
      $('#dlg-post-void').close();
      const pv = v.post_void || {};
      showReturnResult('Voided — receipt ' + from.receipt_no + ', ' + money(pv.amount || v.total) + ' back',
        paidByMethod(v), v.lines.map((l) => l.name + (l.serial ? ' (serial ' + l.serial + ')' : l.qty > 1 ? ' × ' + l.qty : '')),
        pv.approved_by);
      SA.toast('Sale voided', 'ok');
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
        $('#return-error').textContent =
          'A sale is still in the cart: finish it or void it first (the exchange needs a cart of its own)';
        return;
      }
      await ensureSale();
      exchange = { from, serials: c.serials, items: c.items, credit: c.amount, names: c.names };
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
        'Exchange on receipt ' + ex.from.receipt_no + ' (' + money(ex.credit) + ' comes back)');
      exchange = null;
      await showReceipt(r.sale, { exchange: r, names: ex.names });
      SA.toast('Exchange done', 'ok');
    } catch (e) {
      if (e.code !== 'cancelled') $('#pay-error').textContent = e.words || String(e);
      updateChange();
    }
  }

  // ---------------------------------------------------- scans and events

  function onScan(code) {
    const v = view();
    if (v === 'view-login' || v === 'view-loading' || !session) return;
    if ($('#dlg-approval').open) return showError('Finish the manager approval (or cancel it) before scanning');
    if ($('#dlg-post-void').open) return showError('Finish the void (or keep the sale) before scanning');
    if (v === 'view-return') return findSale(code);
    if (/^SAM1:/.test(code)) {
      if (v === 'view-sale' || $('#dlg-member').open) return bindMember({ payload: code });
    }
    if ($('#dlg-pay').open || $('#dlg-void').open || $('#dlg-close').open) {
      return showError('Finish the payment (or go back) before scanning more items');
    }
    if ($('#dlg-member').open) return bindMember({ payload: code });
    if (v === 'view-receipt') nextCustomer();
    else if (v !== 'view-sale') return showError('Open the till before scanning');
    scanItem(code);
  }

  function onEvent(type, d) {
    if (!d || typeof d !== 'object') return;
    if (type === 'sale' && d.terminal === T()) {
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
        if (d.outcome === 'accepted') return showError('That item is not sold: it went into the cart');
      }
      if (d.outcome !== 'accepted') showError(SA.words(d.outcome));
      else if ($('#toast.error')) SA.clearToast();  // the next good scan clears the last refusal
    } else if (type === 'terminal' && d.terminal === T()) {
      setMode(d.mode, d.order_id);
    }
  }

  function onLive(live) {
    const p = $('#hdr-live');
    p.textContent = live ? 'live' : 'reconnecting…';
    p.classList.toggle('off', !live);
    p.classList.toggle('on', live);
    if (live && shift && view() === 'view-sale') loadSale().then(renderSale);
  }

  function setMode(m, orderId) {
    mode = m || 'sale';
    const names = { receive: 'receiving stock', count: 'counting stock', pick: 'picking order ' + (orderId || '') };
    $('#mode-banner').hidden = mode === 'sale';
    $('#mode-text').textContent = mode === 'sale' ? '' :
      'The scanner on this till is ' + names[mode] + ': scans do not go into the cart.';
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
      p.textContent = !s.online ? 'Cloud offline' + (n ? ' · ' + n + ' waiting' : '') : n ? n + ' waiting to sync' : 'Synced';
      p.classList.toggle('off', !s.online);
      p.classList.toggle('on', !!s.online && !n);
    } catch (e) { /* not shown */ }
  }

  // -------------------------------------------------------------- wiring

  function wire() {
    SA.onLoggedOut = () => loggedOut('You are logged out — please log in again');
    SA.wireLogin(afterLogin);
    SA.wedge(onScan);
    $('#btn-logout').addEventListener('click', async () => { await SA.logout(); loggedOut(''); });
    $('#btn-close-shift').addEventListener('click', openCloseDialog);
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
      if (!phone) { $('#member-error').textContent = 'Type the phone number, or scan the member code'; return; }
      bindMember({ phone });
    });
    $('#btn-pay').addEventListener('click', openPay);
    for (const b of $$('#pay-methods .method')) b.addEventListener('click', () => chooseMethod(b.dataset.method));
    $('#pay-tendered').addEventListener('input', updateChange);
    $('#pay-cancel').addEventListener('click', () => $('#dlg-pay').close());
    $('#pay-form').addEventListener('submit', completeSale);
    $('#btn-void').addEventListener('click', () => {
      $('#void-error').textContent = '';
      for (const b of $$('#void-form .reason')) b.classList.remove('selected');
      $('#dlg-void').showModal();
    });
    for (const b of $$('#void-form .reason')) {
      b.addEventListener('click', () => {
        for (const o of $$('#void-form .reason')) o.classList.toggle('selected', o === b);
      });
    }
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
    for (const b of $$('#post-void-form .reason')) {
      b.addEventListener('click', () => {
        for (const o of $$('#post-void-form .reason')) o.classList.toggle('selected', o === b);
        $('#post-void-error').textContent = '';
      });
    }
    $('#post-void-cancel').addEventListener('click', () => $('#dlg-post-void').close());
    $('#post-void-form').addEventListener('submit', postVoid);
    $('#btn-z-logout').addEventListener('click', async () => { await SA.logout(); loggedOut(''); });

    const s = SA.session();
    if (s) afterLogin(s);
    else loggedOut('');
  }

  document.addEventListener('DOMContentLoaded', wire);
})();
