// SPDX-License-Identifier: Apache-2.0
// What the cashier and store screens share: the API client (session token in
// sessionStorage), the /v1/events reader (fetch streaming: EventSource cannot
// send an Authorization header), the keyboard-wedge scanner listener, money
// in integer fen, and error codes in words a cashier understands.
// Plain script (no modules, no build step); everything hangs off window.SA.
'use strict';

(function () {
  const SA = {};
  window.SA = SA;

  // ------------------------------------------------------------ money (fen)

  // Integer fen -> "¥1,234.50". Integer arithmetic only: no floating point.
  SA.money = function (fen) {
    if (typeof fen !== 'number' || !Number.isSafeInteger(fen)) return '—';
    const neg = fen < 0;
    const abs = neg ? -fen : fen;
    const yuan = (abs - (abs % 100)) / 100;
    const cents = abs % 100;
    const yuanText = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (neg ? '-' : '') + '¥' + yuanText + '.' + (cents < 10 ? '0' : '') + cents;
  };

  // "12", "12.5", "12.50", "¥1,200" -> fen (integer), or null. Parsed as text.
  SA.parseYuan = function (text) {
    const t = String(text || '').trim().replace(/^¥/, '').replace(/,/g, '');
    const m = /^(\d{1,10})(?:\.(\d{0,2}))?$/.exec(t);
    if (!m) return null;
    const cents = m[2] ? (m[2] + '00').slice(0, 2) : '00';
    return Number(m[1]) * 100 + Number(cents);
  };

  // A PIN pad's keys type into `pin` (up to 8 digits), clear it, or take
  // its last digit back; any key clears the error shown in `err`.
  SA.pinpad = function (pad, pin, err) {
    for (const b of SA.$$(pad + ' button[data-key]')) {
      b.addEventListener('click', () => {
        const k = b.dataset.key;
        if (k === 'clear') pin.value = '';
        else if (k === 'back') pin.value = pin.value.slice(0, -1);
        else if (pin.value.length < 8) pin.value += k;
        err.textContent = '';
      });
    }
  };

  // An ISO timestamp as local "HH:MM" (today) or "YYYY-MM-DD HH:MM".
  SA.time = function (iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    const pad = (n) => (n < 10 ? '0' : '') + n;
    const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    const now = new Date();
    if (d.toDateString() === now.toDateString()) return hm;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hm;
  };

  // ------------------------------------------------------- error words

  const LABEL = 'That is not a product label';
  const WORDS = {
    // scanning a unit
    serial_already_sold: 'This item was already sold',
    serial_in_cart: 'This item is already in a cart',
    code_forged: 'This label is not genuine — keep the item aside and call a manager',
    code_revoked: 'This label has been withdrawn — keep the item aside and call a manager',
    code_diverted: 'This item was meant for another region — keep it aside and call a manager',
    stock_reserved: 'This item is reserved for an online order',
    unknown_product: 'This product is not in the catalog',
    malformed_code: LABEL,
    not_a_unit: LABEL,
    not_serialised: 'This label has no serial number',
    // the parser's own reasons
    empty_input: LABEL, input_too_large: LABEL, unrecognised_format: LABEL,
    bad_check_digit: 'That label did not read right — scan it again',
    bad_gtin_length: LABEL, bad_character: LABEL, invalid_date: LABEL, repeated_ai: LABEL,
    truncated_field: 'That label did not read right — scan it again',
    field_too_long: LABEL, trailing_garbage: LABEL, unknown_ai: LABEL, ai_order: LABEL,
    missing_gtin: LABEL, bad_percent_encoding: LABEL,
    // members
    member_code_expired: 'This member code has expired — ask the customer to refresh it on their phone',
    member_code_replayed: 'This member code was already used — ask the customer to refresh it',
    member_code_forged: 'This member code is not genuine',
    member_code_malformed: 'That is not a member code',
    not_a_member_code: 'That is not a member code',
    phone_invalid: 'That phone number does not look right',
    phone_binding_unavailable: 'Members cannot be found by phone on this till — scan the member code',
    // paying
    payment_mismatch: 'The payments do not add up to the total',
    invalid_payments: 'Check the payment amounts',
    invalid_amount: 'Check the amount entered',
    amount_overflow: 'That amount is too large',
    unknown_payment_method: 'This payment method is not accepted here',
    sale_empty: 'The cart is empty — scan an item first',
    sale_not_open: 'This sale is already finished',
    sale_not_found: 'This sale could not be found',
    sale_not_completed: 'This sale is not paid yet',
    sale_too_large: 'This sale has too many items',
    line_not_found: 'That item is no longer in the cart',
    // returns and exchanges
    invalid_receipt_no: 'That is not a receipt number — type it as the receipt prints it, or just its last digits',
    receipt_other_device: 'This receipt was printed by another till — do the return there',
    receipt_not_found: 'No receipt with that number was printed on this till',
    unit_not_sold: 'This item is not on any receipt of this store — it was not sold here',
    serial_not_in_sale: 'That item is not on this receipt',
    serial_ambiguous: 'Two items on this receipt share that serial — call a manager',
    serial_already_refunded: 'This item was already returned',
    gtin_not_in_sale: 'That product is not on this receipt',
    refund_exceeds_sale: 'That is more than is left to return on this receipt',
    nothing_to_refund: 'Choose what comes back first',
    sale_already_voided: 'This sale was voided — nothing is left to return',
    sale_partly_refunded: 'Part of this sale was already returned — return the rest instead of voiding it',
    invalid_reason: 'Choose why the sale is voided',
    currency_mismatch: 'The new items are priced in another currency than the sale — call a manager',
    // the till itself
    insufficient_storage: 'The till is out of storage space — nothing was saved. Call a manager.',
    agent_busy: 'The till is busy — try again in a moment',
    body_too_large: 'That was too long',
    no_printer: 'No receipt printer is connected to this till',
    printer_unavailable: 'The receipt printer is not answering — check its paper and cable',
    // accounts and shifts
    invalid_login: 'Wrong cashier ID or PIN',
    too_many_attempts: 'Too many wrong PINs — wait a minute and try again',
    unauthorized: 'You are logged out — please log in again',
    forbidden: 'A manager has to do this',
    manager_required: 'A manager has to do this',
    invalid_approval: 'Wrong manager ID or PIN',
    invalid_cashier_id: 'That is not a cashier ID',
    shift_already_open: 'A shift is already open on this till',
    shift_not_open: 'This shift is already closed',
    shift_not_found: 'This shift could not be found',
    invalid_pin: 'A PIN is 4 to 8 digits',
    // stock and orders
    invalid_gtin: 'That is not a product number',
    unit_already_received: 'This item was already received',
    unit_shipped: 'This item was already shipped',
    serial_picked: 'This item was already picked for an order',
    gtin_not_in_order: 'This product is not in this order',
    line_complete: 'This order already has enough of this product',
    insufficient_stock: 'There is not enough stock to accept this order',
    reservation_state: 'This order cannot do that now',
    reservation_not_found: 'This order could not be found',
    reservation_not_pickable: 'This order is not ready to pick — accept it first',
    pickup_code_mismatch: 'That pickup code is wrong',
    wrong_kind: 'This order is not that kind of order',
    count_uncommitted: 'This terminal has counted units not saved yet',
    sync_disabled: 'This store has no cloud connection configured',
    network: 'Cannot reach the till service — check the cable, or call a manager',
  };
  SA.words = function (code, fallback) {
    return WORDS[code] || fallback || 'Something went wrong (' + code + ')';
  };

  // --------------------------------------------------------------- session

  const KEY = 'sa.session';
  SA.session = function () {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      return s && s.token ? s : null;
    } catch (e) {
      return null;
    }
  };
  SA.setSession = function (s) {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  };
  // Which terminal this screen is (kept on this device).
  SA.terminal = function () {
    return localStorage.getItem('sa.terminal') || 'till-1';
  };
  SA.setTerminal = function (t) {
    localStorage.setItem('sa.terminal', t);
  };

  // ------------------------------------------------------------ API client

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code);
      this.status = status;
      this.code = code;
      this.words = SA.words(code, message);
    }
  }
  SA.ApiError = ApiError;

  function idempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  SA.onLoggedOut = null;  // set by a screen: called when the token is refused

  // method, path, body (object or undefined). Resolves to the JSON answer
  // (or text when `opts.text`); rejects with an ApiError.
  SA.api = async function (method, path, body, opts) {
    opts = opts || {};
    const headers = {};
    const s = SA.session();
    if (s && !opts.noAuth) headers.Authorization = 'Bearer ' + s.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = opts.key || idempotencyKey();
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'network', 'cannot reach the agent');
    }
    if (res.status === 204) return null;
    const text = await res.text();
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = text;
      try {
        const j = JSON.parse(text);
        if (j && j.error) {
          code = j.error.code || code;
          message = j.error.message || message;
        }
      } catch (e) { /* not JSON */ }
      if (res.status === 401 && !opts.noAuth && SA.onLoggedOut) SA.onLoggedOut();
      throw new ApiError(res.status, code, message);
    }
    if (opts.text) return text;
    return text ? JSON.parse(text) : null;
  };

  SA.login = async function (cashier, pin, terminal) {
    const r = await SA.api('POST', '/v1/login', { cashier, pin, terminal }, { noAuth: true });
    const s = { token: r.token, cashier: r.cashier, terminal: r.terminal || terminal,
                expires_at: r.expires_at };
    SA.setSession(s);
    return s;
  };

  SA.logout = async function () {
    try {
      if (SA.session()) await SA.api('POST', '/v1/logout', {});
    } catch (e) { /* logged out anyway */ }
    SA.setSession(null);
  };

  // --------------------------------------------------------- event stream

  // Reads /v1/events with fetch() streaming and calls onEvent(type, data)
  // for each server-sent event; reconnects with a backoff. onState(bool)
  // says whether the stream is live (a screen reloads its state when it
  // comes back: events may have been missed). Returns a stop function.
  SA.events = function (onEvent, onState) {
    let stopped = false;
    let controller = null;
    let delay = 500;
    async function run() {
      while (!stopped) {
        controller = new AbortController();
        try {
          const s = SA.session();
          if (!s) break;
          const res = await fetch('/v1/events', {
            headers: { Authorization: 'Bearer ' + s.token, Accept: 'text/event-stream' },
            signal: controller.signal,
            cache: 'no-store',
          });
          if (res.status === 401) {
            if (SA.onLoggedOut) SA.onLoggedOut();
            break;
          }
          if (!res.ok || !res.body) throw new Error('events: HTTP ' + res.status);
          delay = 500;
          if (onState) onState(true);
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += decoder.decode(value, { stream: true });
            let cut;
            while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
              const block = buf.slice(0, cut);
              buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
              dispatch(block);
            }
          }
        } catch (e) {
          if (stopped) break;
        }
        if (onState && !stopped) onState(false);
        if (stopped) break;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    function dispatch(block) {
      let type = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line[0] === ':') continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        let value = i < 0 ? '' : line.slice(i + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
      }
      if (!data.length) return;
      let parsed = data.join('\n');
      try { parsed = JSON.parse(parsed); } catch (e) { /* plain text */ }
      try {
        onEvent(type, parsed);
      } catch (e) {
        console.error('event handler failed', e);
      }
    }
    run();
    return function stop() {
      stopped = true;
      if (controller) controller.abort();
    };
  };

  // --------------------------------------------------- keyboard wedge

  // A USB scanner that types as a keyboard: a burst of fast keys ending in
  // Enter (or Tab) anywhere on the page is one scan. Keys typed into an
  // input are left alone, except in a field marked `.scan-field`, where
  // Enter submits the field as a scan (a person may also type a code there).
  // Ctrl+] is GS (ASCII 29), the GS1 separator a scanner sends that way.
  SA.wedge = function (onScan) {
    const MAX_GAP_MS = 120;  // a scanner types a key every few ms; a person, every 150+ ms
    const MIN_LEN = 4;
    let buf = '';
    let last = 0;
    function editable(t) {
      if (!t || !t.tagName) return false;
      if (t.isContentEditable) return true;
      const tag = t.tagName;
      if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
      if (tag !== 'INPUT') return false;
      const type = (t.type || 'text').toLowerCase();
      return !['button', 'submit', 'checkbox', 'radio', 'reset'].includes(type);
    }
    document.addEventListener('keydown', (e) => {
      const t = e.target;
      if (t && t.classList && t.classList.contains('scan-field')) {
        if (e.key === 'Enter') {
          e.preventDefault();
          const v = t.value.trim();
          t.value = '';
          if (v) onScan(v, 'field');
        }
        return;
      }
      if (editable(t)) return;
      const now = performance.now();
      const fast = now - last <= MAX_GAP_MS;
      if (e.key === 'Enter' || e.key === 'Tab') {
        if (buf.length >= MIN_LEN && fast) {
          e.preventDefault();
          e.stopPropagation();
          const code = buf;
          buf = '';
          onScan(code, 'wedge');
          return;
        }
        buf = '';
        return;
      }
      let ch = null;
      if (e.ctrlKey && (e.key === ']' || e.code === 'BracketRight')) ch = '\x1d';
      else if (e.key && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) ch = e.key;
      else if (e.key && e.key.length === 1 && e.altKey && e.ctrlKey) ch = e.key;  // AltGr
      if (ch === null) return;
      if (!fast) buf = '';
      buf += ch;
      last = now;
      if (buf.length > 4096) buf = '';
      // A space in a burst must not press the focused button.
      if (ch === ' ') e.preventDefault();
    }, true);
  };

  // What a scanned code names, parsed in the browser for display and stock
  // lookup only (the agent checks every code itself): the GTIN-14 and serial
  // of a GS1 Digital Link, a GS1 element string or a plain GTIN.
  SA.parseCode = function (payload) {
    const p = String(payload || '').trim();
    if (/^SAM1:/.test(p)) return { kind: 'member_code' };
    const gtin = (g) => (g && /^\d{8}$|^\d{12,14}$/.test(g) ? g.padStart(14, '0') : null);
    let m = /^https?:\/\/[^/]+(?:\/[^?#]*)?\/(?:01|gtin)\/(\d{8,14})(?:\/([^?#]*))?/i.exec(p);
    if (m) {
      let serial = null;
      const rest = (m[2] || '').split('/');
      for (let i = 0; i + 1 < rest.length; i += 2) {
        if (rest[i] === '21' || rest[i] === 'ser') {
          try { serial = decodeURIComponent(rest[i + 1]); } catch (e) { serial = rest[i + 1]; }
        }
      }
      return gtin(m[1]) ? { kind: 'gs1_digital_link', gtin: gtin(m[1]), serial } : null;
    }
    m = /^\(01\)(\d{14})(?:.*?\(21\)([^(]+))?/.exec(p);
    if (m) return { kind: 'gs1_element_string', gtin: m[1], serial: m[2] || null };
    const raw = p.replace(/^\][A-Za-z]\d/, '');
    m = /^\x1d?01(\d{14})/.exec(raw);
    if (m) {
      const s = /(?:^|\x1d|\d{6})21([^\x1d]+)/.exec(raw.slice(16));
      return { kind: 'gs1_element_string', gtin: m[1], serial: s ? s[1] : null };
    }
    if (gtin(raw)) return { kind: 'gtin', gtin: gtin(raw), serial: null };
    return null;
  };

  // ------------------------------------------------------------ DOM helpers

  SA.$ = (sel, root) => (root || document).querySelector(sel);
  SA.$$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // el('div.cls#id', {attr}, children...): text children are text nodes.
  SA.el = function (spec, attrs, ...children) {
    const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
    const node = document.createElement((m && m[1]) || 'div');
    if (m && m[2]) {
      for (const part of m[2].match(/[.#][\w-]+/g)) {
        if (part[0] === '.') node.classList.add(part.slice(1));
        else node.id = part.slice(1);
      }
    }
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'onclick') node.addEventListener('click', v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  // Shows one `section.view` of the page and hides the others.
  SA.show = function (id) {
    for (const v of SA.$$('section.view')) v.hidden = v.id !== id;
    document.body.dataset.view = id;
  };

  // A message bar: kind is 'error' | 'ok' | 'info'. Errors stay until the
  // next message or a tap; the others fade after a few seconds.
  let toastTimer = null;
  SA.toast = function (text, kind) {
    const t = SA.$('#toast');
    if (!t) return;
    t.textContent = text;
    t.className = 'toast ' + (kind || 'info');
    t.hidden = false;
    clearTimeout(toastTimer);
    if (kind !== 'error') toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  };
  SA.clearToast = function () {
    const t = SA.$('#toast');
    if (t) t.hidden = true;
  };
  document.addEventListener('DOMContentLoaded', () => {
    const t = SA.$('#toast');
    if (t) t.addEventListener('click', () => { t.hidden = true; });
  });

  // An SVG document (text) as a node safe to insert: the <svg> root only,
  // no scripts, no event attributes, no external references.
  SA.svgNode = function (text) {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = doc.documentElement;
    if (!svg || svg.nodeName.toLowerCase() !== 'svg' || doc.querySelector('parsererror')) return null;
    for (const bad of svg.querySelectorAll('script,style,foreignObject,image,use,a')) bad.remove();
    // Scaled by CSS: keep the drawing's own coordinates.
    const w = parseFloat(svg.getAttribute('width')), h = parseFloat(svg.getAttribute('height'));
    if (!svg.getAttribute('viewBox') && w > 0 && h > 0) svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    for (const node of [svg, ...svg.querySelectorAll('*')]) {
      for (const a of Array.from(node.attributes)) {
        if (/^on/i.test(a.name) || /href$/i.test(a.name) || a.name === 'style') node.removeAttribute(a.name);
      }
    }
    return document.importNode(svg, true);
  };

  // ------------------------------------------------------ manager approval

  // A manager's id and PIN typed at the till for one action. Runs
  // attempt(approval) first with approval = null; when the agent answers
  // 403 manager_required, asks for a manager's id and PIN in the page's
  // #dlg-approval (markup in the page) and runs attempt({manager, pin}) again,
  // as often as the manager tries: a wrong PIN (invalid_approval) and a
  // lockout (429 too_many_attempts) are shown in the dialog. `what` says in
  // the dialog what is being approved. Resolves with what attempt resolves
  // with; rejects with any other error of attempt, or with an ApiError whose
  // code is 'cancelled' when the dialog is closed without an approval.
  // attempt must send a new Idempotency-Key each time (SA.api does): the
  // body changes with the approval.
  SA.withManager = async function (attempt, what) {
    try {
      return await attempt(null);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'manager_required') throw e;
    }
    return askManager(attempt, what);
  };

  const APPROVAL_WORDS = {
    invalid_approval: 'Wrong manager ID or PIN — try again',
    too_many_attempts: 'Too many wrong PINs for this manager — wait a minute, or ask another manager',
    manager_required: 'That ID is not a manager’s — a manager has to approve this',
    invalid_cashier_id: 'That is not a manager ID',
    invalid_pin: 'A PIN is 4 to 8 digits',
  };
  let approvalWired = false;
  let approvalPending = null;  // {attempt, resolve, reject} while the dialog asks

  function wireApproval() {
    if (approvalWired) return;
    approvalWired = true;
    const dlg = SA.$('#dlg-approval');
    const id = SA.$('#approval-manager');
    const pin = SA.$('#approval-pin');
    const err = SA.$('#approval-error');
    const submit = SA.$('#approval-submit');
    SA.pinpad('#approval-pinpad', pin, err);
    SA.$('#approval-cancel').addEventListener('click', () => dlg.close());
    // However the dialog closes (Cancel, Escape, a log-out closing every
    // dialog) without an approval, the action is not done.
    dlg.addEventListener('close', () => {
      if (dlg.open) return;  // opened again for the next action meanwhile
      const p = approvalPending;
      approvalPending = null;
      pin.value = '';
      if (p) p.reject(new ApiError(0, 'cancelled', 'not approved'));
    });
    SA.$('#approval-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const p = approvalPending;
      if (!p || submit.disabled) return;
      err.textContent = '';
      const manager = id.value.trim();
      if (!manager) { err.textContent = 'Enter the manager’s ID'; id.focus(); return; }
      if (!/^\d{4,8}$/.test(pin.value)) { err.textContent = 'A PIN is 4 to 8 digits'; pin.focus(); return; }
      submit.disabled = true;
      try {
        const result = await p.attempt({ manager, pin: pin.value });
        if (approvalPending !== p) return;  // closed meanwhile: already rejected
        approvalPending = null;
        dlg.close();
        p.resolve(result);
      } catch (ex) {
        pin.value = '';
        if (approvalPending !== p) return;
        if (ex instanceof ApiError && APPROVAL_WORDS[ex.code]) {
          err.textContent = APPROVAL_WORDS[ex.code];
          pin.focus();
        } else {
          approvalPending = null;
          dlg.close();
          p.reject(ex);
        }
      } finally {
        submit.disabled = false;
      }
    });
  }

  function askManager(attempt, what) {
    wireApproval();
    const dlg = SA.$('#dlg-approval');
    return new Promise((resolve, reject) => {
      if (approvalPending) approvalPending.reject(new ApiError(0, 'cancelled', 'not approved'));
      approvalPending = { attempt, resolve, reject };
      SA.$('#approval-what').textContent = (what ? what + ' — ' : '') +
        'a manager has to approve this. Manager: enter your ID and PIN.';
      SA.$('#approval-error').textContent = '';
      SA.$('#approval-pin').value = '';
      SA.$('#approval-submit').disabled = false;
      if (!dlg.open) dlg.showModal();
      const id = SA.$('#approval-manager');
      (id.value ? SA.$('#approval-pin') : id).focus();
    });
  }

  // The login form both screens share (markup in each page: #login-form).
  // onLogin(session) is called after a good login.
  SA.wireLogin = function (onLogin, opts) {
    opts = opts || {};
    const form = SA.$('#login-form');
    const id = SA.$('#login-id');
    const pin = SA.$('#login-pin');
    const term = SA.$('#login-terminal');
    const err = SA.$('#login-error');
    id.value = localStorage.getItem('sa.lastCashier') || '';
    term.value = SA.terminal();
    SA.pinpad('#pinpad', pin, err);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const cashier = id.value.trim();
      const terminal = term.value.trim() || 'till-1';
      if (!cashier) { err.textContent = 'Enter your cashier ID'; id.focus(); return; }
      if (!/^\d{4,8}$/.test(pin.value)) { err.textContent = 'A PIN is 4 to 8 digits'; return; }
      const submit = SA.$('#login-submit');
      submit.disabled = true;
      try {
        const s = await SA.login(cashier, pin.value, terminal);
        localStorage.setItem('sa.lastCashier', cashier);
        SA.setTerminal(terminal);
        pin.value = '';
        if (opts.requireManager && s.cashier && s.cashier.role !== 'manager') {
          await SA.logout();
          err.textContent = 'The store screen needs a manager’s login';
          return;
        }
        onLogin(s);
      } catch (ex) {
        pin.value = '';
        err.textContent = ex.words || String(ex);
      } finally {
        submit.disabled = false;
      }
    });
  };
})();
