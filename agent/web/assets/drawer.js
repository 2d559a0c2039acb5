// SPDX-License-Identifier: Apache-2.0
// The cash drawer opened without a sale, on the cashier screen: the "No
// sale" button of an open shift asks why (change for a note, a note stuck,
// counting the float), then a manager's PIN (SA.withManager), and the agent
// records it and kicks the drawer through the till's printer
// (POST /v1/terminals/{t}/drawer). The X/Z report counts these openings.
'use strict';

(function () {
  const SA = window.SA;
  const $ = SA.$;
  const $$ = SA.$$;
  let terminal = () => SA.terminal();
  let busy = false;

  function open() {
    if (busy) return;
    $('#drawer-error').textContent = '';
    for (const b of $$('#drawer-form .reason')) b.classList.remove('selected');
    $('#dlg-drawer').showModal();
  }

  // What the answer says of the kick: sent, not sent (and why), or no printer.
  function kickWords(kick) {
    if (!kick) return SA.t('drawer.no_printer');
    if (kick.printed) return SA.t('drawer.opened');
    return SA.t('drawer.kick_failed', { why: kick.error || kick.reason || '' });
  }

  async function submit(e) {
    e.preventDefault();
    const reason = $('#drawer-form .reason.selected');
    if (!reason) { $('#drawer-error').textContent = SA.t('common.err.invalid_reason'); return; }
    const body = { reason: reason.dataset.reason };
    const path = '/v1/terminals/' + encodeURIComponent(terminal()) + '/drawer';
    busy = true;
    $('#drawer-submit').disabled = true;
    $('#drawer-error').textContent = '';
    try {
      const r = await SA.withManager(
        (approval) => SA.api('POST', path, approval ? Object.assign({}, body, { approval }) : body),
        SA.t('drawer.what', { reason: reason.textContent }));
      $('#dlg-drawer').close();
      SA.toast(kickWords(r.kick), r.kick && !r.kick.printed ? 'error' : 'ok');
    } catch (ex) {
      if (ex.code !== 'cancelled') $('#drawer-error').textContent = ex.words || String(ex);
    } finally {
      busy = false;
      $('#drawer-submit').disabled = false;
    }
  }

  // `whichTerminal`: the till this screen sells at (the session's).
  SA.wireDrawer = function (whichTerminal) {
    if (whichTerminal) terminal = whichTerminal;
    $('#btn-drawer').addEventListener('click', open);
    $('#drawer-cancel').addEventListener('click', () => $('#dlg-drawer').close());
    $('#drawer-form').addEventListener('submit', submit);
    SA.wireReasons('#drawer-form', '#drawer-error');
  };
})();
