// SPDX-License-Identifier: Apache-2.0
// A cart line sold below its catalog price, on the cashier screen: the line's
// "Price" button asks for the new price and why (a damaged box, a price
// match, the display unit), then a manager's PIN (SA.withManager); the agent
// keeps the catalog price, the reason and the manager on the line
// (POST /v1/sales/{id}/lines/{line_id}/price), and the receipt shows both.
'use strict';

(function () {
  const SA = window.SA;
  const $ = SA.$;
  const $$ = SA.$$;
  let target = null;     // {saleId, line} while the dialog asks
  let onSale = () => {};  // the sale as the agent answers it
  let busy = false;

  // The button of one cart line; the line as the agent sent it.
  SA.priceButton = function (saleId, line) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn price';
    b.textContent = SA.t('price.button');
    b.setAttribute('aria-label', SA.t('price.button_aria', { name: SA.nameOf(line) }));
    b.addEventListener('click', () => open(saleId, line));
    return b;
  };

  function open(saleId, line) {
    if (busy) return;
    target = { saleId, line };
    const list = line.price_change ? line.price_change.list_price : line.unit_price;
    $('#price-what').textContent = SA.t('price.what', { name: SA.nameOf(line), price: SA.money(list) });
    $('#price-amount').value = '';
    $('#price-error').textContent = '';
    for (const b of $$('#price-form .reason')) b.classList.remove('selected');
    $('#dlg-price').showModal();
    $('#price-amount').focus();
  }

  async function submit(e) {
    e.preventDefault();
    if (!target) return $('#dlg-price').close();
    const fen = SA.parseYuan($('#price-amount').value);
    if (fen === null) { $('#price-error').textContent = SA.t('common.err.invalid_amount'); return; }
    const reason = $('#price-form .reason.selected');
    if (!reason) { $('#price-error').textContent = SA.t('common.err.invalid_reason'); return; }
    const { saleId, line } = target;
    const body = { unit_price: fen, reason: reason.dataset.reason };
    const path = '/v1/sales/' + encodeURIComponent(saleId) + '/lines/' + line.id + '/price';
    busy = true;
    $('#price-submit').disabled = true;
    $('#price-error').textContent = '';
    try {
      const s = await SA.withManager(
        (approval) => SA.api('POST', path, approval ? Object.assign({}, body, { approval }) : body),
        SA.t('price.approve_what', { name: SA.nameOf(line), price: SA.money(fen) }));
      $('#dlg-price').close();
      target = null;
      onSale(s);
      SA.toast(SA.t('price.changed'), 'ok');
    } catch (ex) {
      if (ex.code !== 'cancelled') $('#price-error').textContent = ex.words || String(ex);
    } finally {
      busy = false;
      $('#price-submit').disabled = false;
    }
  }

  // `saleAnswered(sale)`: the screen shows the sale the agent answered.
  SA.wirePrice = function (saleAnswered) {
    onSale = saleAnswered;
    $('#price-cancel').addEventListener('click', () => $('#dlg-price').close());
    $('#price-form').addEventListener('submit', submit);
    SA.wireReasons('#price-form', '#price-error');
  };
})();
