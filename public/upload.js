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
      var status = form.querySelector('[data-upload-status]');
      var button = form.querySelector('button[type="submit"]');
      if (!window.FormData || !bar) return;
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open('POST', form.action);
      var data = new FormData(form);
      // a second click would send the file again
      if (button) button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      request.upload.onprogress = function (progress) {
        if (progress.lengthComputable) bar.value = Math.round((progress.loaded / progress.total) * 100);
      };
      // every byte sent: the server now checks and stores the rows (seconds for a national file),
      // so the bar turns indeterminate and says so, instead of sitting at 100 %
      request.upload.onload = function () {
        bar.removeAttribute('value');
        if (status) status.textContent = form.getAttribute('data-checking') || '';
      };
      request.onload = function () {
        document.open();
        document.write(request.responseText);
        document.close();
      };
      request.onerror = function () {
        bar.hidden = true;
        if (status) status.textContent = '';
        if (button) button.disabled = false;
        window.alert(form.getAttribute('data-error') || 'Upload failed');
      };
      request.send(data);
    });
  }
})();
