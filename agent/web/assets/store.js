// SPDX-License-Identifier: Apache-2.0
// The store screen (served at /store): sync status, events waiting and the
// manager's alerts; orders to prepare, with a pick view the scanner drives;
// stock lookup by scanning; receiving mode. "The scanner" is the scanner of
// the terminal chosen at login (its mode is set for pick and receive), or a
// keyboard-wedge scanner on this page. Every text comes from the message
// catalog (SA.t); switching the language writes the view shown again.
'use strict';

(function () {
  const { $, $$, el, api } = SA;

  let session = null;
  let tab = 'sync';
  let stopEvents = null;
  let timer = null;
  let orders = [];
  let pick = null;          // the order being picked
  let receiving = false;
  let received = 0;
  let mode = 'sale';
  let live = null;          // whether the event stream is up (null: not yet known)
  let pickLast = null;      // the last pick scan shown: {text: () => words, ok}
  const receivedLog = [];   // this session's receiving scans, newest first

  const T = () => (session && session.terminal) || SA.terminal();
  const view = () => document.body.dataset.view;
  const fail = (e) => SA.toast(e && e.words ? e.words : String(e), 'error');

  function kindName(k) {
    switch (k) {
      case 'ship_from_store': return SA.t('store.kind_ship');
      case 'pickup': return SA.t('store.kind_pickup');
      default: return k;
    }
  }
  function statusName(st) {
    switch (st) {
      case 'offered': return SA.t('store.status_offered');
      case 'accepted': return SA.t('store.status_accepted');
      case 'picked': return SA.t('store.status_picked');
      case 'shipped': return SA.t('store.status_shipped');
      case 'handed_over': return SA.t('store.status_handed_over');
      case 'rejected': return SA.t('store.status_rejected');
      case 'released': return SA.t('store.status_released');
      case 'expired': return SA.t('store.status_expired');
      default: return st;
    }
  }

  // ------------------------------------------------------- log in / out

  function loggedOut(message) {
    if (stopEvents) stopEvents();
    stopEvents = null;
    clearInterval(timer);
    session = null;
    pick = null;
    receiving = false;
    $('#tabs').hidden = true;
    $('#btn-logout').hidden = true;
    $('#hdr-live').hidden = true;
    $('#hdr-cashier').textContent = '';
    $('#mode-banner').hidden = true;
    SA.show('view-login');
    if (message) $('#login-error').textContent = message;
  }

  function afterLogin(s) {
    session = s;
    $('#hdr-terminal').textContent = SA.t('store.hdr_scanner', { terminal: T() });
    $('#hdr-cashier').textContent = s.cashier ? s.cashier.name || s.cashier.id : '';
    $('#tabs').hidden = false;
    $('#btn-logout').hidden = false;
    $('#hdr-live').hidden = false;
    if (!stopEvents) stopEvents = SA.events(onEvent, onLive);
    clearInterval(timer);
    timer = setInterval(tick, 5000);
    refreshTerminal();
    refreshOrders();
    showTab('sync');
  }

  // ---------------------------------------------------------------- tabs

  async function showTab(name) {
    if (view() === 'view-pick' && name !== 'pick') await leavePick();
    if (receiving && name !== 'receive') await setReceiving(false);
    tab = name;
    for (const b of $$('#tabs .tab')) b.classList.toggle('active', b.dataset.tab === name ||
      (name === 'pick' && b.dataset.tab === 'orders'));
    SA.show('view-' + name);
    updateBanner();
    if (name === 'sync') refreshSync();
    if (name === 'orders') refreshOrders();
    if (name === 'lookup') setTimeout(() => $('#lookup-input').focus(), 0);
  }

  function tick() {
    if (tab === 'sync') refreshSync();
    refreshOrders();
  }

  // ---------------------------------------------------------------- sync

  async function refreshSync() {
    try {
      const s = await api('GET', '/v1/sync');
      const enabled = s.enabled !== false;
      $('#sync-online').textContent = !enabled ? SA.t('store.cloud_not_set_up')
        : s.online ? SA.t('store.cloud_online') : SA.t('store.cloud_offline');
      $('#sync-online').className = 'tile-value ' + (enabled && s.online ? 'good' : 'bad');
      $('#sync-pending').textContent = String(s.pending_events || 0);
      $('#sync-pending').className = 'tile-value ' + (s.pending_events ? 'bad' : 'good');
      $('#sync-push').textContent = SA.time(s.last_push_at);
      $('#sync-pull').textContent = SA.time(s.last_pull_at);
      const err = $('#sync-error');
      err.hidden = !s.last_error;
      err.textContent = s.last_error ? SA.t('store.last_problem', { error: s.last_error }) : '';
      $('#btn-sync-now').disabled = !enabled;
      const list = $('#alerts');
      list.textContent = '';
      for (const a of s.alerts || []) {
        const ack = el('button.btn', { type: 'button', text: SA.t('store.acknowledge') });
        ack.addEventListener('click', () => ackAlert(a.id));
        list.append(el('li.item', { dataset: { alert: String(a.id) } },
          el('div.item-main', {},
            el('div.item-title', { text: a.message || a.code }),
            el('div.muted', { text: a.code + ' · ' + SA.time(a.at) + (a.source ? ' · ' + a.source : '') })),
          ack));
      }
      $('#alerts-empty').hidden = (s.alerts || []).length > 0;
    } catch (e) {
      if (e.status !== 401) fail(e);
    }
  }

  async function ackAlert(id) {
    try {
      await api('POST', '/v1/sync/alerts/' + encodeURIComponent(id) + '/ack', {});
      refreshSync();
    } catch (e) { fail(e); }
  }

  async function syncNow() {
    const b = $('#btn-sync-now');
    b.disabled = true;
    try {
      const r = await api('POST', '/v1/sync/now', {});
      if (r && r.ok === false) {
        SA.toast(SA.t('store.cloud_unreachable', { error: r.error || SA.t('store.unknown_error') }), 'error');
      } else {
        SA.toast(SA.t('store.synced', { sent: (r && r.pushed) || 0, received: (r && r.pulled) || 0 }), 'ok');
      }
    } catch (e) {
      fail(e);
    } finally {
      b.disabled = false;
      refreshSync();
      refreshOrders();
    }
  }

  // -------------------------------------------------------------- orders

  async function refreshOrders() {
    try {
      const r = await api('GET', '/v1/reservations');
      orders = r.reservations || [];
      const waiting = orders.filter((o) => o.status === 'offered').length;
      $('#orders-count').hidden = !waiting;
      $('#orders-count').textContent = String(waiting);
      if (tab === 'orders') renderOrders();
    } catch (e) {
      if (e.status !== 401 && tab === 'orders') fail(e);
    }
  }

  // A line's picked units: the agent lists the serials picked.
  function pickedCount(l) {
    return Array.isArray(l.picked) ? l.picked.length : Number(l.picked) || 0;
  }

  function linesText(o) {
    return (o.lines || []).map((l) => l.qty + ' × ' + l.gtin +
      (pickedCount(l) ? ' ' + SA.t('store.n_picked', { count: pickedCount(l) }) : '')).join(', ');
  }

  function renderOrders() {
    const list = $('#orders');
    list.textContent = '';
    for (const o of orders) {
      const buttons = [];
      if (o.status === 'offered') {
        buttons.push(el('button.btn.primary', { type: 'button', text: SA.t('store.accept'), onclick: () => accept(o.id) }));
        buttons.push(el('button.btn', { type: 'button', text: SA.t('store.reject'), onclick: () => askReject(o.id) }));
      } else if (o.status === 'accepted' || o.status === 'picked') {
        buttons.push(el('button.btn.primary', { type: 'button',
          text: o.status === 'picked' ? SA.t('store.ship') : SA.t('store.pick'), onclick: () => openPick(o) }));
      }
      list.append(el('li.item', { dataset: { order: o.id } },
        el('div.item-main', {},
          el('div.item-title', {}, SA.t('store.order_no', { id: o.id }) + ' ',
            el('span.pill', { text: statusName(o.status) }),
            o.cancel_requested ? el('span.pill.off', { text: SA.t('store.cancel_requested') }) : null),
          el('div', { text: kindName(o.kind) + ' · ' + linesText(o) }),
          el('div.muted', { text: o.expires_at ? SA.t('store.ready_by', { at: SA.time(o.expires_at) })
            : SA.t('store.offered_at', { at: SA.time(o.offered_at) }) })),
        el('div.item-actions', {}, buttons)));
    }
    $('#orders-empty').hidden = orders.length > 0;
  }

  async function accept(id) {
    try {
      const o = await api('POST', '/v1/reservations/' + encodeURIComponent(id) + '/accept', {});
      SA.toast(SA.t('store.order_accepted', { id }), 'ok');
      await refreshOrders();
      openPick(o);
    } catch (e) { fail(e); }
  }

  function askReject(id) {
    $('#reject-title').textContent = SA.t('store.reject_title', { id });
    $('#dlg-reject').dataset.order = id;
    $('#dlg-reject').showModal();
  }

  async function reject(e) {
    e.preventDefault();
    const id = $('#dlg-reject').dataset.order;
    try {
      await api('POST', '/v1/reservations/' + encodeURIComponent(id) + '/reject', { reason: $('#reject-reason').value.trim() || 'rejected' });
      $('#dlg-reject').close();
      refreshOrders();
    } catch (ex) { fail(ex); }
  }

  // ------------------------------------------------------------------ pick

  async function openPick(o) {
    pick = o;
    $('#pick-last').hidden = true;
    await showTab('pick');
    renderPick();
    if (o.status === 'accepted') {
      try {
        const t = await api('POST', '/v1/terminals/' + encodeURIComponent(T()) + '/mode', { mode: 'pick', order_id: o.id });
        setMode(t.mode);
      } catch (e) { fail(e); }
    }
  }

  function fullyPicked(o) {
    return (o.lines || []).every((l) => pickedCount(l) >= l.qty);
  }

  function renderPick() {
    if (!pick) return;
    $('#pick-title').textContent = SA.t('store.picking_order', { id: pick.id }) + ' · ' + kindName(pick.kind);
    const st = $('#pick-status');
    st.textContent = statusName(pick.status);
    const list = $('#pick-lines');
    list.textContent = '';
    for (const l of pick.lines || []) {
      const n = pickedCount(l);
      const done = n >= l.qty;
      const bar = el('div.bar-track', {}, el('div.bar-fill'));
      bar.firstChild.style.width = Math.min(100, Math.round((n * 100) / Math.max(1, l.qty))) + '%';
      const serials = Array.isArray(l.picked) && l.picked.length
        ? SA.t('store.picked_list', { serials: l.picked.join(', ') }) : SA.t('store.nothing_picked');
      list.append(el('li.item' + (done ? '.done' : ''), { dataset: { gtin: l.gtin } },
        el('div.item-main', {},
          el('div.item-title', { text: SA.t('store.gtin_no', { gtin: l.gtin }) }),
          bar,
          el('div.muted.picked-serials', { text: serials })),
        el('div.picked-count', { text: n + ' / ' + l.qty })));
    }
    const complete = fullyPicked(pick);
    $('#ship-form').hidden = !(complete && pick.kind === 'ship_from_store' && pick.status === 'picked');
    $('#handover-form').hidden = !(complete && pick.kind === 'pickup' && pick.status === 'picked');
    if (complete) $('#pick-status').classList.add('on');
    else $('#pick-status').classList.remove('on');
  }

  // text: a function (the words follow the language shown).
  function pickResult(text, ok) {
    pickLast = { text, ok };
    const p = $('#pick-last');
    p.hidden = false;
    p.textContent = text();
    p.className = 'last-scan ' + (ok ? 'good' : 'bad');
  }

  function pickedUnit(serial) {
    return serial ? SA.t('store.picked_unit', { serial }) : SA.t('store.picked_a_unit');
  }

  async function pickByPage(code) {
    try {
      const o = await api('POST', '/v1/reservations/' + encodeURIComponent(pick.id) + '/pick', { payload: code });
      pick = o;
      renderPick();
      const parsed = SA.parseCode(code);
      pickResult(() => pickedUnit(parsed && parsed.serial), true);
    } catch (e) {
      pickResult(() => SA.words(e.code, e.message), false);
    }
  }

  async function leavePick() {
    if (mode === 'pick') {
      try {
        const t = await api('POST', '/v1/terminals/' + encodeURIComponent(T()) + '/mode', { mode: 'sale' });
        setMode(t.mode);
      } catch (e) { fail(e); }
    }
    pick = null;
  }

  async function ship(e) {
    e.preventDefault();
    try {
      pick = await api('POST', '/v1/reservations/' + encodeURIComponent(pick.id) + '/ship',
        { carrier: $('#ship-carrier').value.trim(), tracking_no: $('#ship-tracking').value.trim() });
      SA.toast(SA.t('store.order_shipped', { id: pick.id }), 'ok');
      showTab('orders');
    } catch (ex) { fail(ex); }
  }

  async function handover(e) {
    e.preventDefault();
    try {
      pick = await api('POST', '/v1/reservations/' + encodeURIComponent(pick.id) + '/handover',
        { pickup_code: $('#handover-code').value.trim() });
      SA.toast(SA.t('store.order_handed_over', { id: pick.id }), 'ok');
      showTab('orders');
    } catch (ex) { fail(ex); }
  }

  // -------------------------------------------------------------- lookup

  async function lookup(code) {
    const c = code.trim();
    const parsed = /^\d{8,14}$/.test(c) ? { gtin: c, serial: null } : SA.parseCode(c);
    if (!parsed || !parsed.gtin) return SA.toast(SA.words('malformed_code'), 'error');
    try {
      const s = await api('GET', '/v1/stock/' + encodeURIComponent(parsed.gtin));
      $('#lookup-result').hidden = false;
      $('#lookup-gtin').textContent = s.gtin;
      $('#lookup-serial').textContent = parsed.serial ? '· ' + SA.t('store.serial', { serial: parsed.serial }) : '';
      $('#lookup-on-hand').textContent = String(s.on_hand);
      $('#lookup-reserved').textContent = String(s.reserved);
      $('#lookup-available').textContent = String(s.available);
      $('#lookup-picked').textContent = String(s.picked === undefined ? '—' : s.picked);
      SA.clearToast();
    } catch (e) { fail(e); }
  }

  // ------------------------------------------------------------- receive

  async function setReceiving(on) {
    try {
      const t = await api('POST', '/v1/terminals/' + encodeURIComponent(T()) + '/mode', { mode: on ? 'receive' : 'sale' });
      setMode(t.mode);
      receiving = on;
    } catch (e) {
      fail(e);
    }
    renderReceiving();
  }

  function renderReceiving() {
    $('#btn-receive-toggle').textContent = receiving ? SA.t('store.stop_receiving') : SA.t('store.start_receiving');
    $('#btn-receive-toggle').classList.toggle('danger', receiving);
    $('#btn-receive-toggle').classList.toggle('primary', !receiving);
    $('#receive-hint').textContent = receiving ? SA.t('store.receive_hint_on') : SA.t('store.receive_hint_idle');
  }

  // A receiving scan: {ok, gtin, serial, code, message (a refusal), onHand}.
  function addReceived(ok, gtin, serial, code, message) {
    if (ok) received += 1;
    $('#receive-count').textContent = String(received);
    const entry = { ok, gtin, serial, code, message, onHand: null };
    receivedLog.unshift(entry);
    const item = receivedItem(entry);
    $('#received').prepend(item);
    return entry;
  }

  function receivedItem(x) {
    const title = !x.ok ? SA.words(x.code, x.message)
      : x.serial ? SA.t('store.received_unit', { serial: x.serial }) : SA.t('store.received_a_unit');
    return el('li.item' + (x.ok ? '.good' : '.bad'), { dataset: { serial: x.serial || '' } },
      el('div.item-main', {},
        el('div.item-title', { text: title }),
        el('div.muted', { text: x.gtin ? SA.t('store.gtin_no', { gtin: x.gtin }) : '' })),
      el('div.on-hand.muted', { text: x.onHand === null ? '' : SA.t('store.on_hand_n', { count: x.onHand }) }));
  }

  function renderReceived() {
    const list = $('#received');
    list.textContent = '';
    list.append(...receivedLog.map(receivedItem));
  }

  function setOnHand(serial, onHand) {
    const x = receivedLog.find((e) => e.serial === serial);
    if (!x) return;
    x.onHand = onHand;
    const li = $$('#received li').find((n) => n.dataset.serial === serial);
    if (li) li.querySelector('.on-hand').textContent = SA.t('store.on_hand_n', { count: onHand });
  }

  async function receiveByPage(code) {
    try {
      const s = await api('POST', '/v1/stock/receive', { payload: code });
      addReceived(true, s.gtin, s.serial);
      setOnHand(s.serial, s.on_hand);
    } catch (e) {
      const p = SA.parseCode(code);
      addReceived(false, p && p.gtin, p && p.serial, e.code, e.message);
    }
  }

  // ------------------------------------------------------ scans and events

  function onScan(code) {
    if (!session) return;
    if (view() === 'view-pick' && pick) return pickByPage(code);
    if (view() === 'view-receive') {
      if (!receiving) return SA.toast(SA.t('store.start_receiving_first'), 'error');
      return receiveByPage(code);
    }
    if (view() === 'view-lookup' || view() === 'view-sync' || view() === 'view-orders') {
      if (view() !== 'view-lookup') showTab('lookup');
      return lookup(code);
    }
  }

  function onEvent(type, d) {
    if (!d || typeof d !== 'object') return;
    if (type === 'reservation') {
      if (pick && d.id === pick.id) {
        pick = d;
        renderPick();
      }
      refreshOrders();
    } else if (type === 'scan' && d.terminal === T() && d.source !== 'api') {
      const ok = d.outcome === 'accepted';
      if (d.mode === 'pick' && view() === 'view-pick') {
        const p = SA.parseCode(d.payload);
        pickResult(ok ? () => pickedUnit(p && p.serial) : () => SA.words(d.outcome), ok);
      } else if (d.mode === 'receive' && view() === 'view-receive') {
        const p = SA.parseCode(d.payload);
        addReceived(ok, p && p.gtin, p && p.serial, d.outcome);
      }
    } else if (type === 'stock' && d.serial && view() === 'view-receive') {
      setOnHand(d.serial, d.on_hand);
    } else if (type === 'terminal' && d.terminal === T()) {
      setMode(d.mode);
    }
  }

  function onLive(up) {
    live = up;
    renderLive();
    if (live) {
      refreshTerminal();
      refreshOrders();
      if (tab === 'sync') refreshSync();
      if (pick) api('GET', '/v1/reservations/' + encodeURIComponent(pick.id)).then((o) => { pick = o; renderPick(); }, () => {});
    }
  }

  function renderLive() {
    if (live === null) return;
    const p = $('#hdr-live');
    p.textContent = live ? SA.t('common.live') : SA.t('common.reconnecting');
    p.classList.toggle('off', !live);
    p.classList.toggle('on', live);
  }

  async function refreshTerminal() {
    try {
      const t = await api('GET', '/v1/terminals/' + encodeURIComponent(T()));
      setMode(t.mode);
    } catch (e) { /* shown when used */ }
  }

  function setMode(m) {
    mode = m || 'sale';
    if (mode !== 'receive' && receiving) {
      receiving = false;
      renderReceiving();
    }
    updateBanner();
  }

  function updateBanner() {
    const expected = (view() === 'view-pick' && mode === 'pick') || (view() === 'view-receive' && mode === 'receive');
    const show = !!session && mode !== 'sale' && !expected;
    $('#mode-banner').hidden = !show;
    const what = mode === 'receive' ? SA.t('store.mode_receive') : mode === 'pick' ? SA.t('store.mode_pick')
      : mode === 'count' ? SA.t('store.mode_count') : mode;
    $('#mode-text').textContent = show ? SA.t('store.mode_banner', { terminal: T(), mode: what }) : '';
  }

  async function backToSale() {
    try {
      const t = await api('POST', '/v1/terminals/' + encodeURIComponent(T()) + '/mode', { mode: 'sale' });
      setMode(t.mode);
    } catch (e) { fail(e); }
  }

  // ------------------------------------------------------------ language

  // Another language chosen: the page's own texts are already written
  // (SA.applyI18n); write again what this script wrote.
  function relabel() {
    renderLive();
    updateBanner();
    if (!session) return;
    $('#hdr-terminal').textContent = SA.t('store.hdr_scanner', { terminal: T() });
    renderReceiving();
    renderReceived();
    if (tab === 'sync') refreshSync();
    if (tab === 'orders') renderOrders();
    if (pick) renderPick();
    if (pickLast && !$('#pick-last').hidden) $('#pick-last').textContent = pickLast.text();
  }

  // --------------------------------------------------------------- wiring

  async function wire() {
    SA.onLocale = relabel;
    SA.wireLocale();
    SA.onLoggedOut = () => loggedOut(SA.t('common.err.unauthorized'));
    SA.wireLogin(afterLogin, { requireManager: true });
    SA.wedge(onScan);
    for (const b of $$('#tabs .tab')) b.addEventListener('click', () => showTab(b.dataset.tab));
    $('#btn-logout').addEventListener('click', async () => {
      if (view() === 'view-pick') await leavePick();
      if (receiving) await setReceiving(false);
      await SA.logout();
      loggedOut('');
    });
    $('#btn-sync-now').addEventListener('click', syncNow);
    $('#btn-pick-done').addEventListener('click', () => showTab('orders'));
    $('#ship-form').addEventListener('submit', ship);
    $('#handover-form').addEventListener('submit', handover);
    $('#lookup-form').addEventListener('submit', (e) => e.preventDefault());
    $('#btn-receive-toggle').addEventListener('click', () => setReceiving(!receiving));
    $('#btn-sale-mode').addEventListener('click', backToSale);
    $('#reject-cancel').addEventListener('click', () => $('#dlg-reject').close());
    $('#reject-form').addEventListener('submit', reject);
    // The words first: nothing is shown before them.
    await SA.loadMessages();
    const s = SA.session();
    if (s && s.cashier && s.cashier.role === 'manager') afterLogin(s);
    else loggedOut('');
  }

  document.addEventListener('DOMContentLoaded', wire);
})();
