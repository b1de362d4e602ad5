/* Staff pages: a confirmation before destructive actions (forms marked data-confirm), and a note
   while a long action runs (forms marked data-busy: the button is disabled, so it is not sent
   twice, and the form's [data-busy-status] says what is happening). Without JavaScript the action
   goes through directly; the server still checks everything. */
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[data-confirm]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (event) {
      if (!window.confirm(this.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
  var busyForms = document.querySelectorAll('form[data-busy]');
  for (var j = 0; j < busyForms.length; j++) {
    busyForms[j].addEventListener('submit', function (event) {
      if (event.defaultPrevented) return;
      var form = this;
      var status = form.querySelector('[data-busy-status]');
      if (status) status.textContent = form.getAttribute('data-busy');
      // after the submission has started, so that the button's own value still goes with it
      setTimeout(function () {
        var buttons = form.querySelectorAll('button[type="submit"]');
        for (var k = 0; k < buttons.length; k++) buttons[k].disabled = true;
      }, 0);
    });
  }
})();
