// WarmGrid (暖网): the little behaviour the pages need beyond htmx.
// Loaded as a file because the CSP forbids inline scripts; no eval, no inline handlers.
(function () {
  "use strict";

  // Filter forms submit themselves when a select changes; a select with
  // data-wg-reset="name" clears that other field first (a new grid has other buildings).
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    if (!form || !form.hasAttribute("data-wg-autosubmit") || field.tagName !== "SELECT") {
      return;
    }
    var reset = field.getAttribute("data-wg-reset");
    if (reset && form.elements[reset]) {
      form.elements[reset].value = "";
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });

  // When htmx gets an error answer it swaps nothing; say so instead of staying silent.
  function showFlash(text) {
    var box = document.getElementById("wg-flash");
    if (!box) {
      return;
    }
    box.textContent = "";
    var item = document.createElement("li");
    item.className = "error";
    item.setAttribute("role", "alert");
    item.textContent = text;
    box.appendChild(item);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    var body = document.body;
    var key = status === 403 ? "wgForbidden" : status === 404 ? "wgNotFound" : "wgFailed";
    showFlash(body.dataset[key] || body.dataset.wgFailed || "Error " + status);
  });

  document.addEventListener("htmx:sendError", function () {
    showFlash(document.body.dataset.wgOffline || "Offline");
  });
})();
