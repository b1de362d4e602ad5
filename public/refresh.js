/* Monitoring pages refresh their figures every 30 s without reloading the page (which would lose
   the scroll position and any half-typed filter). Without JavaScript a <noscript> meta refresh does it. */
(function () {
  'use strict';
  var target = document.querySelector('[data-refresh]');
  if (!target || !window.fetch || !window.DOMParser) return;
  setInterval(function () {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-refresh]');
        if (fresh) target.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }, 30000);
})();
