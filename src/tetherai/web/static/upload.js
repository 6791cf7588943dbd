/*
 * Upload progress for the "register a version" form. Without JavaScript the form is an
 * ordinary multipart POST; with it, the same request goes through XMLHttpRequest so its
 * upload progress can be shown, and the answer (the version page after the redirect, or the
 * error page) replaces the current page, at the answer's URL.
 */
(function () {
  "use strict";
  var form = document.getElementById("create-version");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) return;  // the browser shows what is missing
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((100 * e.loaded) / e.total);
        status.textContent = bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      // The answer is the page the redirect led to (it carries the one-time flash message),
      // or the error page: show it as a normal navigation would.
      if (xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.history.pushState(null, "", xhr.responseURL);
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      status.textContent = form.dataset.failed || "upload failed";
      bar.hidden = true;
    });
    xhr.send(new FormData(form));
  });
})();
