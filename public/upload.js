/* Uploads with a progress bar: forms marked data-upload are sent with XMLHttpRequest so the
   bar can follow the bytes; the server's answer (the import report) then replaces the page.
   Without JavaScript the same form posts normally. */
(function () {
  'use strict';
  var forms = document.querySelectorAll('form[data-upload]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (event) {
      var form = this;
      var bar = form.querySelector('progress');
      if (!window.FormData || !bar) return;
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open('POST', form.action);
      bar.hidden = false;
      bar.value = 0;
      request.upload.onprogress = function (progress) {
        if (progress.lengthComputable) bar.value = Math.round((progress.loaded / progress.total) * 100);
      };
      request.onload = function () {
        document.open();
        document.write(request.responseText);
        document.close();
      };
      request.onerror = function () {
        bar.hidden = true;
        window.alert(form.getAttribute('data-error') || 'Upload failed');
      };
      request.send(new FormData(form));
    });
  }
})();
