// MI Fidelity: small progressive enhancements. No inline scripts; htmx does the rest.
(function () {
  "use strict";

  // Print buttons.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (target) { window.print(); }
  });

  // Focus the error summary when a form comes back with errors (after load or an htmx swap).
  function focusErrors(root) {
    var summary = (root || document).querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrors(event.detail.elt);
    // A correction form just opened: move focus to its first choice.
    if (event.detail.target && event.detail.target.classList.contains("utt-edit")) {
      var first = event.detail.target.querySelector("input[name=reason]");
      if (first) { first.focus(); }
    }
  });
  // After a correction is saved, put focus back on the utterance's chip.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.classList && elt.classList.contains("utt")) {
      var chip = elt.querySelector(".chip");
      if (chip) { chip.focus(); }
    }
  });
  // Escape closes an open correction form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var form = event.target.closest && event.target.closest("form.correct");
    var cancel = form && form.querySelector("a.cancel");
    if (cancel && window.htmx) {
      event.preventDefault();
      htmx.ajax("GET", cancel.getAttribute("hx-get"),
                {target: cancel.getAttribute("hx-target"), swap: "outerHTML"});
    }
  });

  // Upload progress on the new-session form.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-progress");
    if (!bar || !event.detail.lengthComputable) { return; }
    var done = Math.round((event.detail.loaded / event.detail.total) * 100);
    if (done >= 100) { bar.removeAttribute("value"); } else { bar.value = done; }
  });
  // A refused or failed htmx request (too large, too many sign-ins, database away, disk full,
  // no connection) is not swapped into the page: say what happened in an alert instead.
  function showProblem(text) {
    var main = document.getElementById("main");
    if (!main) { return; }
    var box = document.getElementById("request-problem");
    if (!box) {
      box = document.createElement("div");
      box.id = "request-problem";
      box.className = "error-summary";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
  function messageOf(xhr) {
    var body = (xhr.responseText || "").trim();
    try {
      var data = JSON.parse(body);
      if (typeof data.detail === "string") { return data.detail; }
    } catch (e) { /* not JSON */ }
    if (body && body.length < 300 && body.indexOf("<") === -1) { return body; }
    var doc = new DOMParser().parseFromString(body, "text/html");
    var text = doc.querySelector("main p, p");
    return text ? text.textContent.trim() : "";
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    showProblem(messageOf(xhr) || ("The request failed (" + xhr.status + "). Try again in a minute."));
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem("The server could not be reached: check the connection and try again.");
  });
})();
