/* The call form, enhanced: the postcode is checked as it is typed, the triage preview (with what to do in an
   emergency) and the people already known who may be the caller update as the call is logged, and typed work
   is never lost when the session ends. The form works without this script.

   The draft. What is typed here is personal data (names, addresses, health, safeguarding worries), so the
   draft is kept only:
   - in sessionStorage, which belongs to this browser tab alone and is emptied when the tab is closed (never
     localStorage, which outlives the tab and is shared with other tabs), and is never sent anywhere;
   - under a key naming the signed-in user (data-draft-key), so another person signing in on this tab never
     sees it (drafts of other users found here are removed at once);
   - for DRAFT_MAX_AGE_MS after the last keystroke;
   - until the call is saved (the page after saving removes it) or this user signs out from this tab.
   It exists so that a session that ends while the form is open (signed out in another tab, or the time
   limit) does not cost the call: after signing in again, the form is filled in again from it. */
(function () {
  "use strict";
  var DRAFT_PREFIX = "oneroute.call-draft.";
  var DRAFT_MAX_AGE_MS = 2 * 60 * 60 * 1000;
  var NOT_SAVED = { csrf_token: true, form_id: true, check: true };

  function tabStorage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; /* storage turned off: the form still works, without a draft */
    }
  }

  var store = tabStorage();

  function removeDraft(key) {
    if (store && key) {
      store.removeItem(key);
    }
  }

  function removeOtherDrafts(keep) {
    if (!store) {
      return;
    }
    for (var index = store.length - 1; index >= 0; index -= 1) {
      var key = store.key(index);
      if (key && key.indexOf(DRAFT_PREFIX) === 0 && key !== keep) {
        store.removeItem(key);
      }
    }
  }

  var forgotten = false; /* signing out: nothing is kept from here on */

  function forgetOnSignOut(key) {
    Array.prototype.forEach.call(document.querySelectorAll('form[action$="/sign-out"]'), function (signOut) {
      signOut.addEventListener("submit", function () {
        forgotten = true;
        removeDraft(key);
      });
    });
  }

  /* The page after saving: the call is safe in the database, so the draft goes. */
  var saved = document.getElementById("call-saved");
  if (saved) {
    removeDraft(saved.getAttribute("data-draft-key"));
    removeOtherDrafts(null);
    return;
  }

  var form = document.getElementById("call-form");
  if (!form || !window.fetch) {
    return;
  }
  document.documentElement.classList.add("js");
  var draftKey = form.getAttribute("data-draft-key");
  var formUser = draftKey.slice(DRAFT_PREFIX.length);
  removeOtherDrafts(draftKey);
  forgetOnSignOut(draftKey);
  var sessionStarted = form.getAttribute("data-session-started");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta.getAttribute("content");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* The draft: saved as the call is typed, put back after signing in again. */
  function fixedPerson() {
    var fixed = form.querySelector('input[type="hidden"][name="resident_choice"]');
    return fixed ? fixed.value : "";
  }

  function draftFields() {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && !NOT_SAVED[field.name] && field.type !== "hidden" &&
        field.type !== "submit" && field.type !== "button";
    });
  }

  function saveDraft() {
    if (!store || forgotten) {
      return;
    }
    var values = {};
    var typed = false;
    draftFields().forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        values[field.name] = values[field.name] || [];
        if (field.checked) {
          values[field.name].push(field.value);
        }
      } else {
        values[field.name] = field.value;
        typed = typed || (field.value.trim() !== "" && field.tagName !== "SELECT");
      }
    });
    if (!typed) {
      return;
    }
    try {
      store.setItem(draftKey, JSON.stringify({ saved: Date.now(), person: fixedPerson(), values: values }));
    } catch (error) {
      /* storage full or refused: nothing more to do */
    }
  }

  function readDraft() {
    if (!store) {
      return null;
    }
    try {
      var draft = JSON.parse(store.getItem(draftKey) || "null");
      if (!draft || !draft.values || Date.now() - draft.saved > DRAFT_MAX_AGE_MS) {
        removeDraft(draftKey);
        return null;
      }
      return draft;
    } catch (error) {
      removeDraft(draftKey);
      return null;
    }
  }

  function restoreDraft() {
    if (!form.hasAttribute("data-restorable")) {
      return false;
    }
    var draft = readDraft();
    if (!draft || draft.person !== fixedPerson()) {
      return false;
    }
    draftFields().forEach(function (field) {
      if (!Object.prototype.hasOwnProperty.call(draft.values, field.name)) {
        return;
      }
      var value = draft.values[field.name];
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = value.indexOf(field.value) !== -1;
      } else {
        field.value = value;
      }
    });
    var notice = document.getElementById("draft-restored");
    var when = new Date(draft.saved);
    var time = (when.getHours() < 10 ? "0" : "") + when.getHours() + ":" +
      (when.getMinutes() < 10 ? "0" : "") + when.getMinutes();
    notice.querySelector("[data-draft-when]").textContent = " (last typed at " + time + ")";
    notice.hidden = false;
    notice.querySelector("[data-discard-draft]").addEventListener("click", function () {
      removeDraft(draftKey);
      form.reset();
      notice.hidden = true;
      document.getElementById("name").focus();
      checkPostcode();
      requestPreview();
    });
    return true;
  }

  /* The session: when it has ended, say so, keep the draft, and offer to sign in again. */
  var endedBanner = document.getElementById("session-ended");
  var backBanner = document.getElementById("session-back");
  var sessionEnded = false;

  function showEnded() {
    saveDraft();
    if (sessionEnded) {
      return;
    }
    sessionEnded = true;
    backBanner.hidden = true;
    endedBanner.hidden = false;
  }

  function useToken(token) {
    csrfToken = token;
    csrfMeta.setAttribute("content", token);
    Array.prototype.forEach.call(document.querySelectorAll('input[name="csrf_token"]'), function (input) {
      input.value = token;
    });
  }

  /* Resolves true (signed in; after signing in again, the form takes the new session's token), false (the
     session has ended, or someone else is signed in), or rejects when the server cannot be reached. */
  function checkSession() {
    return fetch(form.getAttribute("data-session-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 401 || response.status === 403 || response.redirected) {
        showEnded();
        return false;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json().then(function (answer) {
        if (String(answer.user) !== formUser) { /* someone else signed in: this call is not theirs */
          showEnded();
          return false;
        }
        if (answer.started !== sessionStarted) { /* signed in again: the old session's token died with it */
          sessionStarted = answer.started;
          useToken(answer.csrf_token);
        }
        if (sessionEnded) {
          sessionEnded = false;
          endedBanner.hidden = true;
          backBanner.hidden = false;
        }
        return true;
      });
    });
  }

  function getJson(response) {
    if (!response.ok || response.redirected) {
      /* 401: the session has ended; 400: the form's token is stale (signed in again in another tab) */
      checkSession().catch(function () {});
      throw new Error("HTTP " + response.status);
    }
    return response.json();
  }

  /* Postcode, checked as it is typed; the council's numbers in the guidance follow it. */
  var postcode = document.getElementById("postcode");
  var postcodeStatus = document.getElementById("postcode-status");
  var guidance = document.getElementById("call-guidance");
  var postcodeTimer = null;
  var postcodeSequence = 0;

  function checkPostcode() {
    var value = postcode.value.trim();
    if (value.length < 2) {
      postcodeStatus.textContent = "";
      postcodeStatus.className = "postcode-status";
      return;
    }
    var sequence = ++postcodeSequence;
    /* POSTed, never in the address: a postcode in a URL ends up in access logs. */
    fetch(form.getAttribute("data-postcode-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      body: new URLSearchParams({ postcode: value })
    })
      .then(getJson)
      .then(function (answer) {
        if (sequence !== postcodeSequence) {
          return;
        }
        postcodeStatus.textContent = answer.message;
        postcodeStatus.className = "postcode-status " + (answer.ok ? "postcode-ok" : "postcode-problem");
        if (answer.guidance && answer.ok) {
          guidance.innerHTML = answer.guidance; /* the server's own escaped HTML */
        }
      })
      .catch(function () {
        postcodeStatus.textContent = "";
      });
  }

  postcode.addEventListener("input", function () {
    window.clearTimeout(postcodeTimer);
    postcodeTimer = window.setTimeout(checkPostcode, 300);
  });

  /* Triage preview and known people. */
  var previewBox = document.getElementById("triage-preview");
  var triageStatus = document.getElementById("triage-status");
  var peopleBox = document.getElementById("known-people");
  var peopleFixed = peopleBox.hasAttribute("data-fixed");
  var newPerson = peopleBox.getAttribute("data-new-person");
  var previewTimer = null;
  var previewSequence = 0;
  var shownPeople = Array.prototype.map.call(
    peopleBox.querySelectorAll('input[name="resident_choice"]'),
    function (input) { return input.value; }
  ).filter(function (value) { return value !== newPerson; }).join(",");

  function renderTriage(answer) {
    previewBox.innerHTML = answer.triage_html; /* the server's own escaped HTML, as on the page */
    if (triageStatus.textContent !== answer.summary) {
      triageStatus.textContent = answer.summary;
    }
  }

  function personLabel(person) {
    var label = element("label", "radio-label");
    label.setAttribute("for", "resident_choice-" + person.resident_id);
    label.appendChild(document.createTextNode(
      person.name + ", " + person.postcode + (person.address ? ", " + person.address : "")));
    var details = [];
    if (person.date_of_birth) {
      details.push("born " + person.date_of_birth);
    }
    if (person.phone_ending) {
      details.push("phone ending " + person.phone_ending);
    }
    details.push("same " + person.matched.join(", ") + " (" + person.score + "% alike)");
    label.appendChild(element("span", "hint-inline", details.join("; ")));
    return label;
  }

  function radio(value, label, checked) {
    var item = element("div", "radio-item");
    var input = element("input", "radio-input");
    input.type = "radio";
    input.name = "resident_choice";
    input.id = "resident_choice-" + value;
    input.value = value;
    input.checked = checked;
    item.appendChild(input);
    item.appendChild(label);
    return item;
  }

  function renderPeople(people) {
    if (peopleFixed) {
      return;
    }
    var ids = people.map(function (person) { return String(person.resident_id); }).join(",");
    if (ids === shownPeople) {
      return;
    }
    shownPeople = ids;
    var chosen = form.querySelector('input[name="resident_choice"]:checked');
    var chosenValue = chosen ? chosen.value : "";
    peopleBox.textContent = "";
    if (!people.length) {
      return;
    }
    var group = element("div", "form-group known-people");
    var fieldset = element("fieldset", "fieldset");
    fieldset.setAttribute("aria-describedby", "resident_choice-hint");
    fieldset.appendChild(element("legend", "fieldset-legend-s", "Is the caller someone already known?"));
    var hint = element("div", "hint",
      "These people on record look like the caller. Choose one to add this call to their record.");
    hint.id = "resident_choice-hint";
    fieldset.appendChild(hint);
    var choices = element("div", "choices choices-radio");
    people.forEach(function (person) {
      var value = String(person.resident_id);
      choices.appendChild(radio(value, personLabel(person), value === chosenValue));
    });
    var newLabel = element("label", "radio-label", "No, this is a new person");
    newLabel.setAttribute("for", "resident_choice-" + newPerson);
    choices.appendChild(radio(newPerson, newLabel, chosenValue === newPerson));
    fieldset.appendChild(choices);
    group.appendChild(fieldset);
    peopleBox.appendChild(group);
    triageStatus.textContent = people.length === 1
      ? "One person already known may be the caller: see the question under date of birth."
      : people.length + " people already known may be the caller: see the question under date of birth.";
  }

  function requestPreview() {
    var sequence = ++previewSequence;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
      body: new URLSearchParams(new FormData(form))
    })
      .then(getJson)
      .then(function (answer) {
        if (sequence !== previewSequence) {
          return;
        }
        renderTriage(answer);
        renderPeople(answer.people);
      })
      .catch(function () {
        /* The preview is a help, not a gate: saving checks everything again. */
      });
  }

  form.addEventListener("input", function (event) {
    saveDraft();
    if (event.target.name === "resident_choice") {
      return;
    }
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(requestPreview, 400);
  });
  form.addEventListener("change", saveDraft);
  window.addEventListener("pagehide", saveDraft);

  /* Back in this tab (perhaps after signing in again in another): is the session still there? */
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      checkSession().catch(function () {});
    }
  });
  window.addEventListener("focus", function () {
    if (sessionEnded) {
      checkSession().catch(function () {});
    }
  });

  /* Saving: first make sure the session is there (and the form's token fresh), so a call is never sent into
     a session that has ended; then one save per press: a second Enter while the first is on its way does
     nothing. */
  var confirmed = false;
  var sending = false;
  form.addEventListener("submit", function (event) {
    saveDraft();
    if (sending) {
      event.preventDefault();
      return;
    }
    if (confirmed) {
      confirmed = false;
      sending = true;
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    sending = true;
    checkSession().then(function (signedIn) {
      sending = false;
      if (!signedIn) {
        endedBanner.focus();
        return;
      }
      send(submitter);
    }, function () {
      sending = false;
      send(submitter); /* the server could not be asked: let it answer the form itself */
    });
  });

  function send(submitter) {
    confirmed = true;
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else if (submitter) {
      submitter.click();
    } else {
      form.submit();
    }
  }

  window.addEventListener("pageshow", function () {
    sending = false;
    confirmed = false;
  });

  var restored = restoreDraft();
  if (postcode.value && (restored || !postcode.classList.contains("input-error"))) {
    checkPostcode(); /* not when the page already says what is wrong with it: one message per problem */
  }
  if (restored) {
    requestPreview();
  }
})();
