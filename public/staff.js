/* Staff pages: a confirmation before destructive actions (forms marked data-confirm). Without
   JavaScript the action goes through directly; the server still checks everything. */
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[data-confirm]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (event) {
      if (!window.confirm(this.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
})();
