// SPDX-License-Identifier: Apache-2.0
// A manager's discount on the whole sale (整单折扣) and the coupons in the
// cart, on the cashier screen. The "Discount" button asks for a percent
// (9.5折, 9折, 8折) or an amount off and why, then a manager's PIN
// (SA.withManager); the agent shares it over the lines after the promotions
// and coupons (POST /v1/sales/{id}/discount, docs/pricing.md). Under the
// total the screen shows the discount (taken off again without a manager)
// and each coupon with what it took off, each with a button to take it out.
'use strict';

(function () {
  const SA = window.SA;
  const $ = SA.$;
  const $$ = SA.$$;
  const el = SA.el;
  let currentSale = () => null;
  let onSale = () => {};
  let busy = false;

  const path = (sale, rest) => '/v1/sales/' + encodeURIComponent(sale.id) + rest;

  const percent = SA.percent;

  // Under the total: the sale's discount and the coupons; `sale` null for none.
  SA.renderSaleExtras = function (sale) {
    const box = $('#sale-extras');
    box.textContent = '';
    $('#btn-discount').disabled = !sale;
    if (!sale) return;
    if (sale.discount) {
      const d = sale.discount;
      const what = d.percent_bp ? SA.t('discount.shown_percent', { percent: percent(d.percent_bp) })
        : SA.t('discount.shown_amount');
      const rm = el('button.btn.small', { type: 'button', text: SA.t('discount.remove'),
        'aria-label': SA.t('discount.remove') });
      rm.addEventListener('click', () => act('DELETE', path(sale, '/discount')));
      box.append(el('div.sum-row.sale-discount', {},
        el('span', { text: what + ' · ' + d.reason }),
        el('span', { text: '−' + SA.money(d.applied) }), rm));
    }
    for (const c of sale.coupons || []) {
      const rm = el('button.btn.small', { type: 'button', text: SA.t('discount.coupon_remove'),
        'aria-label': SA.t('discount.coupon_remove_aria', { type: c.type }) });
      rm.addEventListener('click', () => act('DELETE', path(sale, '/coupons/' + encodeURIComponent(c.id))));
      box.append(el('div.sum-row.coupon', { dataset: { coupon: c.id } },
        el('span', { text: SA.t('discount.coupon', { type: c.type }) }),
        el('span', { text: '−' + SA.money(c.applied) }), rm));
    }
  };

  async function act(method, url) {
    try {
      onSale(await SA.api(method, url));
    } catch (ex) {
      SA.toast(ex.words || String(ex), 'error');
    }
  }

  function open() {
    const sale = currentSale();
    if (busy || !sale || !sale.lines.length) return;
    $('#discount-total').textContent = SA.money(sale.total);
    $('#discount-amount').value = '';
    $('#discount-error').textContent = '';
    for (const b of $$('#discount-form .pct, #discount-form .reason')) b.classList.remove('selected');
    $('#dlg-discount').showModal();
    $('#discount-amount').focus();
  }

  async function submit(e) {
    e.preventDefault();
    const sale = currentSale();
    if (!sale) return $('#dlg-discount').close();
    const pct = $('#discount-form .pct.selected');
    const typed = $('#discount-amount').value.trim();
    const body = {};
    if (pct && !typed) {
      body.percent_bp = Number(pct.dataset.bp);
    } else {
      const fen = SA.parseYuan(typed);
      if (fen === null || fen <= 0) { $('#discount-error').textContent = SA.t('discount.choose'); return; }
      body.amount = fen;
    }
    const reason = $('#discount-form .reason.selected');
    if (!reason) { $('#discount-error').textContent = SA.t('discount.why'); return; }
    body.reason = reason.dataset.reason;
    busy = true;
    $('#discount-submit').disabled = true;
    try {
      const what = body.percent_bp ? percent(body.percent_bp) : SA.money(body.amount);
      const s = await SA.withManager(
        (approval) => SA.api('POST', path(sale, '/discount'), approval ? Object.assign({}, body, { approval }) : body),
        SA.t('discount.approve_what', { what }));
      $('#dlg-discount').close();
      onSale(s);
      SA.toast(SA.t('discount.given'), 'ok');
    } catch (ex) {
      if (ex.code !== 'cancelled') $('#discount-error').textContent = ex.words || String(ex);
    } finally {
      busy = false;
      $('#discount-submit').disabled = false;
    }
  }

  // `sale()`: the sale on the screen; `saleAnswered(sale)`: show the agent's answer.
  SA.wireDiscount = function (sale, saleAnswered) {
    currentSale = sale;
    onSale = saleAnswered;
    $('#btn-discount').addEventListener('click', open);
    $('#discount-cancel').addEventListener('click', () => $('#dlg-discount').close());
    $('#discount-form').addEventListener('submit', submit);
    for (const b of $$('#discount-form .pct')) {
      b.addEventListener('click', () => {
        for (const o of $$('#discount-form .pct')) o.classList.toggle('selected', o === b);
        $('#discount-amount').value = '';
        $('#discount-error').textContent = '';
      });
    }
    $('#discount-amount').addEventListener('input', () => {
      for (const o of $$('#discount-form .pct')) o.classList.remove('selected');
    });
    SA.wireReasons('#discount-form', '#discount-error');
  };
})();
