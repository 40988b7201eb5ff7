/* Find a person from any page with the keyboard: "/" moves to the search box (the header's, or the search
   page's own), unless the person is typing in a field, where "/" is just a slash. Without this script the
   box is one Tab after the navigation, as it is with it. */
(function () {
  "use strict";
  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    if (typing(event.target)) {
      return;
    }
    var box = document.querySelector("[data-find-person]");
    if (!box) {
      return;
    }
    event.preventDefault();
    box.focus();
    box.select();
  });
  /* Signing out from any page forgets a call typed in this tab (web/static/call-form.js keeps it in
     sessionStorage under "oneroute.call-draft.<user>"): the next person at this desk must not find it. */
  Array.prototype.forEach.call(document.querySelectorAll('form[action$="/sign-out"]'), function (signOut) {
    signOut.addEventListener("submit", function () {
      try {
        Object.keys(window.sessionStorage).forEach(function (key) {
          if (key.indexOf("oneroute.call-draft.") === 0) {
            window.sessionStorage.removeItem(key);
          }
        });
      } catch (error) {
        /* storage unavailable: there is no draft either */
      }
    });
  });
})();
