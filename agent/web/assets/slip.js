// SPDX-License-Identifier: Apache-2.0
// The slip of a refund or post-void on the cashier screen, as the agent lays
// it out in the screen's language (GET /v1/refunds/{id}/receipt), and a
// marked copy on the till's printer (POST /v1/refunds/{id}/print). The
// original printed by itself once the refund was durable.
'use strict';

(function () {
  const SA = window.SA;
  let shown = null;  // the refund id whose slip is on the screen

  function path(id) { return '/v1/refunds/' + encodeURIComponent(id); }

  // Shows refund `id`'s slip in `pre` (in the language shown).
  SA.showSlip = async function (id, pre) {
    shown = id;
    pre.textContent = SA.t('screen.report_loading');
    try {
      const r = await SA.api('GET', path(id) + '/receipt?width=58&locale=' + encodeURIComponent(SA.locale));
      if (shown === id) pre.textContent = r.text;
    } catch (e) {
      if (shown === id) pre.textContent = e.words || String(e);
    }
  };

  // A copy of the slip on the screen, on the till's printer.
  SA.printSlip = async function () {
    if (!shown) return;
    try {
      await SA.api('POST', path(shown) + '/print', {});
      SA.toast(SA.t('screen.receipt_sent'), 'ok');
    } catch (e) {
      SA.toast(e.words || String(e), 'error');
    }
  };
})();
