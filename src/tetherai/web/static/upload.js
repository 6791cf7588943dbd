/*
 * Upload progress for the "register a version" form. Without JavaScript the form is an
 * ordinary multipart POST; with it, the same request goes through XMLHttpRequest so its
 * upload progress can be shown. Success (the version page after the redirect) replaces the
 * current page, at the answer's URL; a refusal is shown above the form, which keeps everything
 * typed and every file picked, so the person corrects it and sends it again.
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
      if (xhr.status >= 400) {
        refused(xhr.responseText);
        return;
      }
      // The answer is the page the redirect led to (it carries the one-time flash message):
      // show it as a normal navigation would.
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

  // The error page's reason (and its hint and summary), shown above the form; the form is
  // live again with what it held.
  function refused(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var reason = answer.querySelector(".error-page");
    var box = document.getElementById("refusal");
    box.replaceChildren();
    ["h1", ".error-summary", ".error-message", ".hint", ".technical"].forEach(function (sel) {
      var found = reason && reason.querySelector(sel);
      if (!found) return;
      var copy = document.importNode(found, true);
      if (sel === "h1") {  // the page keeps its own title
        copy = document.createElement("h2");
        copy.textContent = found.textContent;
      }
      box.appendChild(copy);
    });
    if (!box.childNodes.length) box.textContent = form.dataset.failed || "refused";
    box.hidden = false;
    bar.hidden = true;
    status.textContent = "";
    form.removeAttribute("aria-busy");
    form.dataset.state = "refused";
    if (button) button.disabled = false;
    box.scrollIntoView({block: "nearest"});
    box.focus();
  }
})();
