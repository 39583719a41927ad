/* Save a questionnaire page's answers as they are given.
 *
 * Each change posts the whole form to the page's autosave address (data-autosave), so closing the tab
 * loses nothing. Without this script the page still saves when it is sent. No third party, no inline
 * code: it runs under the page's Content-Security-Policy (script-src 'self').
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var url = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  var timer = null;
  var unsaved = false;
  var typingDelay = 800;

  function say(key) {
    if (status) {
      status.textContent = status.getAttribute(key) || "";
    }
  }

  function answers() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "action") {
        data.append(name, value);
      }
    });
    return data;
  }

  function save(leaving) {
    window.clearTimeout(timer);
    timer = null;
    if (!unsaved) {
      return;
    }
    unsaved = false;
    var body = answers();
    if (leaving && navigator.sendBeacon && navigator.sendBeacon(url, body)) {
      return;
    }
    window
      .fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: !!leaving })
      .then(function (response) {
        say(response.ok ? "data-saved" : "data-failed");
      })
      .catch(function () {
        unsaved = true;
        say("data-failed");
      });
  }

  form.addEventListener("change", function () {
    unsaved = true;
    save(false);
  });
  form.addEventListener("input", function (event) {
    var kind = event.target && event.target.type;
    if (kind === "text" || kind === "textarea" || kind === "number") {
      unsaved = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        save(false);
      }, typingDelay);
    }
  });
  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
    unsaved = false; // the page is being sent with every answer on it
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save(true);
    }
  });
  window.addEventListener("pagehide", function () {
    save(true);
  });
})();
