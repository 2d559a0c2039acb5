// SPDX-License-Identifier: Apache-2.0
// The cashier screen (served at /): log in, open the till, sell (scans from
// the till's scanner arrive over /v1/events; a keyboard-wedge scanner on
// this page works too), bind a member, take payment, show the receipt with
// its claim QR, void, close the shift and show the Z report.
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
    return { cash: 'Cash', card: 'Card', wechat: 'WeChat Pay', alipay: 'Alipay', unionpay: 'UnionPay', voucher: 'Voucher' }[m] || m;
  }

  function openPay() {
    if (!sale || !sale.lines.length) return;
    payMethod = null;
    $('#pay-total').textContent = money(sale.total);
    $('#pay-error').textContent = '';
    $('#pay-tendered').value = '';
    $('#pay-ref').value = '';
    $('#pay-cash').hidden = true;
    $('#pay-other').hidden = true;
    for (const b of $$('#pay-methods .method')) b.classList.remove('selected');
    // Quick cash amounts: exact, then the next round notes above the total.
    const q = $('#pay-quick');
    q.textContent = '';
    const amounts = [sale.total];
    for (const step of [1000, 5000, 10000]) {
      const up = sale.total + (step - (sale.total % step)) % step;
      if (up > sale.total && !amounts.includes(up)) amounts.push(up);
    }
    for (const a of amounts) {
      const b = el('button.btn', { type: 'button', text: a === sale.total ? 'Exact ' + money(a) : money(a) });
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
    if (!payMethod || !sale) { submit.disabled = true; return; }
    if (payMethod !== 'cash') { submit.disabled = false; return; }
    const t = SA.parseYuan($('#pay-tendered').value);
    const ok = t !== null && t >= sale.total;
    $('#pay-change').textContent = ok ? money(t - sale.total) : '—';
    submit.disabled = !ok;
  }

  async function completeSale(e) {
    e.preventDefault();
    if (!payMethod || !sale) return;
    const p = { method: payMethod, amount: sale.total };
    if (payMethod === 'cash') {
      const t = SA.parseYuan($('#pay-tendered').value);
      if (t === null || t < sale.total) { $('#pay-error').textContent = 'Not enough cash for the total'; return; }
      p.amount = t;
    } else if ($('#pay-ref').value.trim()) {
      p.ref = $('#pay-ref').value.trim();
    }
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

  async function showReceipt(done) {
    if (receiptFor === done.id) return;
    receiptFor = done.id;
    for (const d of $$('dialog')) if (d.open) d.close();
    sale = null;
    SA.clearToast();
    $('#receipt-title').textContent = 'Paid' + (done.receipt_no ? ' — receipt ' + done.receipt_no : '');
    $('#receipt-change').textContent = done.change > 0 ? 'Change to give: ' + money(done.change) : 'No change';
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

  // ---------------------------------------------------- scans and events

  function onScan(code) {
    const v = view();
    if (v === 'view-login' || v === 'view-loading' || !session) return;
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
        if (sale && sale.id === d.id && view() === 'view-sale' && !$('#dlg-pay').open) showReceipt(d);
      } else if (d.status === 'voided') {
        if (sale && sale.id === d.id) {
          sale = null;
          if (view() === 'view-sale') renderSale();
        }
      }
    } else if (type === 'scan' && d.terminal === T() && d.source !== 'api') {
      if (d.mode !== 'sale' || !d.outcome) return;
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
    $('#btn-z-logout').addEventListener('click', async () => { await SA.logout(); loggedOut(''); });

    const s = SA.session();
    if (s) afterLogin(s);
    else loggedOut('');
  }

  document.addEventListener('DOMContentLoaded', wire);
})();
