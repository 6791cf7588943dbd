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
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (event) {
    if (!form.checkValidity()) return;  // the browser shows what is missing
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;  // already sent
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    form.setAttribute("aria-busy", "true");
    form.dataset.state = "uploading";
    if (button) button.disabled = true;  // one click, one registration
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((100 * e.loaded) / e.total);
        status.textContent = (form.dataset.uploading || "uploading {percent}%").replace("{percent}", bar.value);
      }
    });
    // Every byte sent: the server now hashes the files into the store and signs the version,
    // which takes a while for big files. Say so, with a bar that moves without a percentage.
    xhr.upload.addEventListener("load", function () {
      form.dataset.state = "registering";
      bar.removeAttribute("value");
      status.textContent = form.dataset.registering || "registering…";
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
      form.removeAttribute("aria-busy");
      form.dataset.state = "failed";
      if (button) button.disabled = false;
    });
    xhr.send(new FormData(form));
  });
})();
