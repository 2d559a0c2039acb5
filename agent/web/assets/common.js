// SPDX-License-Identifier: Apache-2.0
// What the cashier and store screens share: the API client (session token in
// sessionStorage), the /v1/events reader (fetch streaming: EventSource cannot
// send an Authorization header), the keyboard-wedge scanner listener, money
// in integer fen, error codes in words a cashier understands, and the words
// themselves: every text a person reads comes from the agent's message
// catalog (GET /v1/messages) in the language chosen on this device.
// Plain script (no modules, no build step); everything hangs off window.SA.
'use strict';

(function () {
  const SA = {};
  window.SA = SA;

  // ------------------------------------------------------------ words

  // The catalog in the language shown: key -> text. HTML names a text by its
  // key in a data-i18n attribute (the element's text) or data-i18n-ATTR (an
  // attribute: placeholder, title); JS calls SA.t with the key as a quoted
  // literal and its values ({name} placeholders): the catalog test finds both.
  SA.messages = {};
  SA.locale = 'en';
  SA.locales = ['en', 'zh-CN'];
  SA.onLocale = null;  // set by a screen: writes again what its JS wrote

  const LOCALE_KEY = 'sa.locale';

  // The text of `key` with each {name} replaced by values[name]; the key
  // itself when the catalog has no such text (seen at once on the screen).
  SA.t = function (key, values) {
    const text = Object.prototype.hasOwnProperty.call(SA.messages, key) ? SA.messages[key] : key;
    if (!values) return text;
    return text.replace(/\{([a-z_]+)\}/g, (m, name) =>
      (values[name] === undefined || values[name] === null ? m : String(values[name])));
  };

  // A product's or sale line's name in the language shown: the catalog's
  // Chinese name (name_zh) in zh-CN where it has one.
  SA.nameOf = function (x) {
    return (SA.locale === 'zh-CN' && x.name_zh) || x.name;
  };

  // Writes the catalog's texts into the elements under `root` that name them.
  SA.applyI18n = function (root) {
    for (const node of (root || document).querySelectorAll('*')) {
      for (const a of Array.from(node.attributes)) {
        if (!a.name.startsWith('data-i18n')) continue;
        if (a.name === 'data-i18n') node.textContent = SA.t(a.value);
        else if (a.name.startsWith('data-i18n-')) node.setAttribute(a.name.slice(10), SA.t(a.value));
      }
    }
  };

  // Fetches the catalog in `locale` (else the one chosen on this device,
  // else the store's own) and shows it. Tries again until the agent answers:
  // a screen shows nothing but "Loading" without its words.
  SA.loadMessages = async function (locale) {
    let wanted = locale || localStorage.getItem(LOCALE_KEY) || '';
    if (wanted && !SA.locales.includes(wanted)) wanted = '';
    let delay = 500;
    for (;;) {
      try {
        const r = await SA.api('GET', '/v1/messages' + (wanted ? '?locale=' + encodeURIComponent(wanted) : ''),
          undefined, { noAuth: true });
        SA.messages = r.messages || {};
        SA.locale = r.locale || wanted || 'en';
        break;
      } catch (e) {
        if (e.status === 400 && wanted) { wanted = ''; continue; }
        await new Promise((res) => setTimeout(res, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    document.documentElement.lang = SA.locale;
    SA.applyI18n(document);
    for (const b of SA.$$('[data-locale]')) {
      const on = b.dataset.locale === SA.locale;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  };

  // The cashier's choice of language: kept on this device, shown at once.
  SA.setLocale = async function (locale) {
    if (!SA.locales.includes(locale)) return;
    localStorage.setItem(LOCALE_KEY, locale);
    await SA.loadMessages(locale);
    if (SA.onLocale) SA.onLocale();
  };

  // The EN / 中文 buttons (data-locale) of a page.
  SA.wireLocale = function () {
    for (const b of SA.$$('[data-locale]')) {
      b.addEventListener('click', () => { if (b.dataset.locale !== SA.locale) SA.setLocale(b.dataset.locale); });
    }
  };

  // A payment method's name (the receipts' own pay.* texts).
  SA.methodName = function (m) {
    switch (m) {
      case 'cash': return SA.t('pay.cash');
      case 'card': return SA.t('pay.card');
      case 'wechat': return SA.t('pay.wechat');
      case 'alipay': return SA.t('pay.alipay');
      case 'unionpay': return SA.t('pay.unionpay');
      case 'voucher': return SA.t('pay.voucher');
      case 'exchange': return SA.t('pay.exchange');
      default: return m;
    }
  };

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

  // A short fixed-length name for `text` (16 hex digits: two FNV-1a 32-bit
  // hashes), for an Idempotency-Key that must stay short. Not a secret.
  SA.digest = function (text) {
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x01000193 + 2) >>> 0;
    }
    return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  };

  // "10 %" for 1000 basis points, "12.5 %" for 1250 (integer arithmetic).
  SA.percent = function (bp) {
    const whole = Math.floor(bp / 100);
    const rest = bp % 100;
    return whole + (rest ? '.' + (rest < 10 ? '0' + rest : String(rest)).replace(/0$/, '') : '') + ' %';
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

  // Error codes in a cashier's words: the catalog's common.err.* texts, in
  // the language shown when the error is.
  const LABEL = () => SA.t('common.err.not_a_label');
  const MISREAD = () => SA.t('common.err.misread');
  const WORDS = {
    // scanning a unit
    serial_already_sold: () => SA.t('common.err.serial_already_sold'),
    serial_in_cart: () => SA.t('common.err.serial_in_cart'),
    code_forged: () => SA.t('common.err.code_forged'),
    code_revoked: () => SA.t('common.err.code_revoked'),
    code_diverted: () => SA.t('common.err.code_diverted'),
    stock_reserved: () => SA.t('common.err.stock_reserved'),
    unknown_product: () => SA.t('common.err.unknown_product'),
    malformed_code: LABEL, not_a_unit: LABEL,
    not_serialised: () => SA.t('common.err.not_serialised'),
    // the parser's own reasons
    empty_input: LABEL, input_too_large: LABEL, unrecognised_format: LABEL, bad_check_digit: MISREAD,
    bad_gtin_length: LABEL, bad_character: LABEL, invalid_date: LABEL, repeated_ai: LABEL,
    truncated_field: MISREAD, field_too_long: LABEL, trailing_garbage: LABEL, unknown_ai: LABEL,
    ai_order: LABEL, missing_gtin: LABEL, bad_percent_encoding: LABEL,
    // members
    member_code_expired: () => SA.t('common.err.member_code_expired'),
    member_code_replayed: () => SA.t('common.err.member_code_replayed'),
    member_code_forged: () => SA.t('common.err.member_code_forged'),
    member_code_malformed: () => SA.t('common.err.not_a_member_code'),
    not_a_member_code: () => SA.t('common.err.not_a_member_code'),
    phone_invalid: () => SA.t('common.err.phone_invalid'),
    phone_binding_unavailable: () => SA.t('common.err.phone_binding_unavailable'),
    // paying
    payment_mismatch: () => SA.t('common.err.payment_mismatch'),
    invalid_payments: () => SA.t('common.err.invalid_payments'),
    invalid_amount: () => SA.t('common.err.invalid_amount'),
    amount_overflow: () => SA.t('common.err.amount_overflow'),
    unknown_payment_method: () => SA.t('common.err.unknown_payment_method'),
    sale_empty: () => SA.t('common.err.sale_empty'),
    sale_not_open: () => SA.t('common.err.sale_not_open'),
    sale_not_found: () => SA.t('common.err.sale_not_found'),
    sale_not_completed: () => SA.t('common.err.sale_not_completed'),
    sale_too_large: () => SA.t('common.err.sale_too_large'),
    line_not_found: () => SA.t('common.err.line_not_found'),
    // prices, discounts and coupons
    price_above_list: () => SA.t('common.err.price_above_list'),
    invalid_discount: () => SA.t('common.err.invalid_discount'),
    discount_too_large: () => SA.t('common.err.discount_too_large'),
    coupon_forged: () => SA.t('common.err.coupon_forged'),
    coupon_expired: () => SA.t('common.err.coupon_expired'),
    coupon_wrong_store: () => SA.t('common.err.coupon_wrong_store'),
    coupon_used: () => SA.t('common.err.coupon_used'),
    coupon_in_cart: () => SA.t('common.err.coupon_in_cart'),
    coupon_min_spend: () => SA.t('common.err.coupon_min_spend'),
    coupon_offline_cap: () => SA.t('common.err.coupon_offline_cap'),
    too_many_coupons: () => SA.t('common.err.too_many_coupons'),
    coupon_not_in_sale: () => SA.t('common.err.coupon_not_in_sale'),
    label_price_mismatch: () => SA.t('common.err.label_price_mismatch'),
    not_variable_measure: () => SA.t('common.err.not_variable_measure'),
    serial_required: () => SA.t('common.err.serial_required'),
    // returns and exchanges
    invalid_receipt_no: () => SA.t('common.err.invalid_receipt_no'),
    receipt_other_device: () => SA.t('common.err.receipt_other_device'),
    receipt_not_found: () => SA.t('common.err.receipt_not_found'),
    unit_not_sold: () => SA.t('common.err.unit_not_sold'),
    sale_compacted: () => SA.t('common.err.sale_compacted'),
    serial_not_in_sale: () => SA.t('common.err.serial_not_in_sale'),
    serial_ambiguous: () => SA.t('common.err.serial_ambiguous'),
    serial_already_refunded: () => SA.t('common.err.serial_already_refunded'),
    gtin_not_in_sale: () => SA.t('common.err.gtin_not_in_sale'),
    refund_exceeds_sale: () => SA.t('common.err.refund_exceeds_sale'),
    nothing_to_refund: () => SA.t('common.err.nothing_to_refund'),
    sale_already_voided: () => SA.t('common.err.sale_already_voided'),
    sale_partly_refunded: () => SA.t('common.err.sale_partly_refunded'),
    invalid_reason: () => SA.t('common.err.invalid_reason'),
    currency_mismatch: () => SA.t('common.err.currency_mismatch'),
    // the till itself
    insufficient_storage: () => SA.t('common.err.insufficient_storage'),
    agent_busy: () => SA.t('common.err.agent_busy'),
    body_too_large: () => SA.t('common.err.body_too_large'),
    no_printer: () => SA.t('common.err.no_printer'),
    printer_unavailable: () => SA.t('common.err.printer_unavailable'),
    // accounts and shifts
    invalid_login: () => SA.t('common.err.invalid_login'),
    too_many_attempts: () => SA.t('common.err.too_many_attempts'),
    unauthorized: () => SA.t('common.err.unauthorized'),
    forbidden: () => SA.t('common.err.manager_required'),
    manager_required: () => SA.t('common.err.manager_required'),
    invalid_approval: () => SA.t('common.err.invalid_approval'),
    refund_over_limit: () => SA.t('common.err.refund_over_limit'),
    invalid_cashier_id: () => SA.t('common.err.invalid_cashier_id'),
    shift_already_open: () => SA.t('common.err.shift_already_open'),
    shift_not_open: () => SA.t('common.err.shift_not_open'),
    shift_not_found: () => SA.t('common.err.shift_not_found'),
    report_compacted: () => SA.t('common.err.report_compacted'),
    invalid_pin: () => SA.t('common.err.invalid_pin'),
    // stock and orders
    invalid_gtin: () => SA.t('common.err.invalid_gtin'),
    unit_already_received: () => SA.t('common.err.unit_already_received'),
    unit_shipped: () => SA.t('common.err.unit_shipped'),
    serial_picked: () => SA.t('common.err.serial_picked'),
    gtin_not_in_order: () => SA.t('common.err.gtin_not_in_order'),
    line_complete: () => SA.t('common.err.line_complete'),
    insufficient_stock: () => SA.t('common.err.insufficient_stock'),
    reservation_state: () => SA.t('common.err.reservation_state'),
    reservation_not_found: () => SA.t('common.err.reservation_not_found'),
    reservation_not_pickable: () => SA.t('common.err.reservation_not_pickable'),
    pickup_code_mismatch: () => SA.t('common.err.pickup_code_mismatch'),
    wrong_kind: () => SA.t('common.err.wrong_kind'),
    count_uncommitted: () => SA.t('common.err.count_uncommitted'),
    sync_disabled: () => SA.t('common.err.sync_disabled'),
    network: () => SA.t('common.err.network'),
  };
  SA.words = function (code, fallback) {
    if (WORDS[code]) return WORDS[code]();
    return fallback || SA.t('common.err.unknown', { code });
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

  // The reason buttons (.reason) of the dialog form `form`: one is chosen
  // at a time (.selected), and choosing one clears the error line `error`.
  SA.wireReasons = function (form, error) {
    for (const b of SA.$$(form + ' .reason')) {
      b.addEventListener('click', () => {
        for (const o of SA.$$(form + ' .reason')) o.classList.toggle('selected', o === b);
        if (error) SA.$(error).textContent = '';
      });
    }
  };

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
    invalid_approval: () => SA.t('common.approval_wrong'),
    too_many_attempts: () => SA.t('common.approval_locked'),
    manager_required: () => SA.t('common.approval_not_manager'),
    invalid_cashier_id: () => SA.t('common.approval_bad_id'),
    invalid_pin: () => SA.t('common.err.invalid_pin'),
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
      if (!manager) { err.textContent = SA.t('common.approval_enter_id'); id.focus(); return; }
      if (!/^\d{4,8}$/.test(pin.value)) { err.textContent = SA.t('common.err.invalid_pin'); pin.focus(); return; }
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
          err.textContent = APPROVAL_WORDS[ex.code]();
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
      SA.$('#approval-what').textContent = what ? SA.t('common.approval_what', { what })
        : SA.t('common.approval_ask');
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
      if (!cashier) { err.textContent = SA.t('common.login_enter_id'); id.focus(); return; }
      if (!/^\d{4,8}$/.test(pin.value)) { err.textContent = SA.t('common.err.invalid_pin'); return; }
      const submit = SA.$('#login-submit');
      submit.disabled = true;
      try {
        const s = await SA.login(cashier, pin.value, terminal);
        localStorage.setItem('sa.lastCashier', cashier);
        SA.setTerminal(terminal);
        pin.value = '';
        if (opts.requireManager && s.cashier && s.cashier.role !== 'manager') {
          await SA.logout();
          err.textContent = SA.t('common.login_needs_manager');
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
