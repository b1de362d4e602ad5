/* Respondent pages, progressive enhancement only: the pages work without this file.
   - autosave: each change is sent to the JSON API (PUT …/answers) after a short pause;
   - offline copy: unsent changes are kept in localStorage and sent when the connection returns,
     and put back into the form after a reload;
   - live skip logic: items whose condition depends on an answer on this page show and hide at once. */
(function () {
  'use strict';
  var PREFIX = 'integritas:draft:';

  function safeGet(key) { try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { return null; } }
  function safeSet(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode or full */ } }
  function safeRemove(key) { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }

  // Thank-you page: the device keeps nothing of the answers once they are submitted.
  var done = document.querySelector('[data-clear-draft]');
  if (done) { safeRemove(PREFIX + done.getAttribute('data-clear-draft')); return; }

  var form = document.querySelector('form.questionnaire');
  var host = form || document.querySelector('[data-review]');
  if (!host) return;
  var key = PREFIX + host.getAttribute('data-token');
  var api = host.getAttribute('data-api');
  var statusBox = document.querySelector('[data-save-status]');
  var messages = form ? {
    saved: form.getAttribute('data-msg-saved'),
    saving: form.getAttribute('data-msg-saving'),
    offline: form.getAttribute('data-msg-offline'),
    offlineNav: form.getAttribute('data-msg-offline-nav'),
    unavailable: form.getAttribute('data-msg-unavailable')
  } : {};
  var state = safeGet(key) || {};
  state.pending = state.pending || {};

  function showStatus(text, offline) {
    if (!statusBox || !text) return;
    statusBox.textContent = text;
    statusBox.className = 'save-status' + (offline ? ' offline' : '');
  }

  function inputsOf(itemEl) { return itemEl.querySelectorAll('[name="q:' + itemEl.getAttribute('data-item') + '"]'); }

  function readItem(itemEl) {
    var type = itemEl.getAttribute('data-type');
    var inputs = inputsOf(itemEl);
    var i;
    if (type === 'single') {
      for (i = 0; i < inputs.length; i++) if (inputs[i].checked) return inputs[i].value;
      return null;
    }
    if (type === 'multi') {
      var chosen = [];
      for (i = 0; i < inputs.length; i++) if (inputs[i].checked) chosen.push(inputs[i].value);
      return chosen.length ? chosen : null;
    }
    var text = inputs[0] ? inputs[0].value.trim() : '';
    return text === '' ? null : text;
  }

  function writeItem(itemEl, value) {
    var type = itemEl.getAttribute('data-type');
    var inputs = inputsOf(itemEl);
    var values = value === null ? [] : [].concat(value).map(String);
    for (var i = 0; i < inputs.length; i++) {
      if (type === 'single' || type === 'multi') inputs[i].checked = values.indexOf(inputs[i].value) >= 0;
      else inputs[i].value = values[0] || '';
    }
  }

  function chosenValues(itemEl) {
    var value = readItem(itemEl);
    return value === null ? [] : [].concat(value);
  }

  function applySkipLogic() {
    if (!form) return;
    var items = form.querySelectorAll('[data-show-if]');
    for (var i = 0; i < items.length; i++) {
      var rule;
      try { rule = JSON.parse(items[i].getAttribute('data-show-if')); } catch (e) { continue; }
      var gate = form.querySelector('[data-item="' + rule.item + '"]');
      if (!gate) continue; // the gate is on another page: the server already decided
      var shown = !gate.hidden && chosenValues(gate).some(function (v) { return rule['in'].indexOf(v) >= 0; });
      items[i].hidden = !shown;
    }
  }

  var timer = null;
  var sending = false;

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
  }

  function flush() {
    var codes = Object.keys(state.pending);
    if (!codes.length || !api) return;
    if (sending) { schedule(500); return; }
    if (navigator.onLine === false) { showStatus(messages.offline, true); return; }
    var batch = {};
    codes.forEach(function (code) { batch[code] = state.pending[code]; });
    sending = true;
    showStatus(messages.saving, false);
    fetch(api, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ answers: batch }), credentials: 'same-origin' })
      .then(function (response) {
        if (response.ok) return { sent: codes };
        if (response.status === 422) {
          // Invalid values stay in the form for the page's own check; the others are sent again.
          return response.json().then(function (body) {
            return { invalid: (body.errors || []).map(function (e) { return e.item; }) };
          });
        }
        if (response.status === 404 || response.status === 409 || response.status === 410) return { gone: true };
        // 503: the server's storage is failing; the answers wait here and are sent again
        if (response.status === 503) return { unavailable: true };
        throw new Error('status ' + response.status);
      })
      .then(function (outcome) {
        sending = false;
        if (outcome.gone) { safeRemove(key); return; }
        if (outcome.unavailable) { showStatus(messages.unavailable, true); schedule(5000); return; }
        (outcome.sent || outcome.invalid).forEach(function (code) {
          if (JSON.stringify(state.pending[code]) === JSON.stringify(batch[code])) delete state.pending[code];
        });
        safeSet(key, state);
        if (outcome.sent) showStatus(messages.saved, false);
        if (Object.keys(state.pending).length) schedule(300);
      })
      .catch(function () {
        sending = false;
        showStatus(messages.offline, true);
        schedule(5000);
      });
  }

  function remember(itemEl) {
    state.pending[itemEl.getAttribute('data-item')] = readItem(itemEl);
    safeSet(key, state);
    schedule(700);
  }

  if (form) {
    // Put back changes that never reached the server (a reload while offline).
    Object.keys(state.pending).forEach(function (code) {
      var itemEl = form.querySelector('[data-item="' + code + '"]');
      if (itemEl) writeItem(itemEl, state.pending[code]);
    });
    applySkipLogic();
    form.addEventListener('change', function (event) {
      var itemEl = event.target.closest && event.target.closest('[data-item]');
      if (!itemEl) return;
      applySkipLogic();
      remember(itemEl);
    });
    form.addEventListener('input', function (event) {
      var itemEl = event.target.closest && event.target.closest('[data-item]');
      if (itemEl && (itemEl.getAttribute('data-type') === 'text' || itemEl.getAttribute('data-type') === 'number')) remember(itemEl);
    });
  }

  // Leaving the page while offline would show the browser's error page: stay, and say why.
  var forms = document.querySelectorAll('form');
  for (var f = 0; f < forms.length; f++) {
    forms[f].addEventListener('submit', function (event) {
      if (navigator.onLine === false) {
        event.preventDefault();
        showStatus(messages.offlineNav || messages.offline, true);
      }
    });
  }

  window.addEventListener('online', function () { schedule(0); });
  if (Object.keys(state.pending).length) schedule(0);
})();
