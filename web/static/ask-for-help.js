/* "Ask for help" and a group lead's referral, enhanced: as the words are typed, the server's triage rules
   check them for an emergency or a safeguarding concern and the advice box (999, the council's safeguarding
   number) shows at once. Without this script the server checks them when the form is sent. */
(function () {
  "use strict";
  var form = document.querySelector("[data-ask-form]");
  var details = document.getElementById("details");
  var advice = document.querySelector("[data-urgent-advice]");
  var token = document.querySelector("meta[name=csrf-token]");
  if (!form || !details || !advice || !token || !window.fetch) {
    return;
  }
  var timer = null;
  var sequence = 0;

  function check() {
    var mine = ++sequence;
    var body = new URLSearchParams();
    body.append("details", details.value);
    fetch(form.getAttribute("data-check-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token.getAttribute("content") },
      body: body
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || mine !== sequence) {
          return;
        }
        /* Once shown it stays: advice that vanishes while someone reads it helps no one. */
        if (answer.emergency || answer.safeguarding) {
          advice.hidden = false;
        }
      })
      .catch(function () {
        /* The check is a help, not a gate: sending the form checks again. */
      });
  }

  details.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 500);
  });
})();
