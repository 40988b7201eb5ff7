/* The call form, enhanced: the postcode is checked as it is typed, and the triage preview and the people
   already known who may be the caller update as the call is logged. The form works without this script. */
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form || !window.fetch) {
    return;
  }
  document.documentElement.classList.add("js");
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function getJson(response) {
    if (!response.ok) {
      throw new Error("HTTP " + response.status);
    }
    return response.json();
  }

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

  function words(code) {
    var text = String(code || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /* Postcode, checked as it is typed. */
  var postcode = document.getElementById("postcode");
  var postcodeStatus = document.getElementById("postcode-status");
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
    fetch(form.getAttribute("data-postcode-url") + "?postcode=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(getJson)
      .then(function (answer) {
        if (sequence !== postcodeSequence) {
          return;
        }
        postcodeStatus.textContent = answer.message;
        postcodeStatus.className = "postcode-status " + (answer.ok ? "postcode-ok" : "postcode-problem");
      })
      .catch(function () {
        postcodeStatus.textContent = "";
      });
  }

  postcode.addEventListener("input", function () {
    window.clearTimeout(postcodeTimer);
    postcodeTimer = window.setTimeout(checkPostcode, 300);
  });
  if (postcode.value) {
    checkPostcode();
  }

  /* Triage preview and known people. */
  var previewBox = document.getElementById("triage-preview");
  var triageStatus = document.getElementById("triage-status");
  var peopleBox = document.getElementById("known-people");
  var newPerson = peopleBox.getAttribute("data-new-person");
  var previewTimer = null;
  var previewSequence = 0;
  var shownPeople = Array.prototype.map.call(
    peopleBox.querySelectorAll('input[name="resident_choice"]'),
    function (input) { return input.value; }
  ).filter(function (value) { return value !== newPerson; }).join(",");

  function summaryRow(term, value) {
    var row = element("div", "summary-row");
    row.appendChild(element("dt", "", term));
    var detail = element("dd");
    if (typeof value === "string") {
      detail.textContent = value;
    } else {
      detail.appendChild(value);
    }
    row.appendChild(detail);
    return row;
  }

  function tag(text, colour) {
    return element("strong", "tag tag-" + colour, text);
  }

  function renderTriage(triage) {
    previewBox.textContent = "";
    if (!triage) {
      previewBox.appendChild(element("p", "hint",
        "Type the call notes or tick needs: the preview shows where the referral will go, and why."));
      triageStatus.textContent = "";
      return;
    }
    var urgencyColour = triage.urgency === "emergency" ? "red" : (triage.urgency === "urgent" ? "orange" : "grey");
    var needs = triage.needs.map(function (need) { return need.label; }).join(", ") || "None recognised";
    var list = element("dl", "summary-list summary-list-compact");
    list.appendChild(summaryRow("Goes to", tag(words(triage.tier), "blue")));
    list.appendChild(summaryRow("Urgency", tag(words(triage.urgency), urgencyColour)));
    list.appendChild(summaryRow("Safeguarding", triage.safeguarding ? tag("Yes: safety net", "red") : "No"));
    list.appendChild(summaryRow("Needs", needs));
    previewBox.appendChild(list);
    previewBox.appendChild(element("h3", "heading-s", "Why"));
    var reasons = element("ul", "reasons");
    triage.reasons.forEach(function (reason) {
      var item = element("li", "", reason.detail || reason.conclusion);
      if (reason.evidence) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(element("q", "", reason.evidence));
      }
      reasons.appendChild(item);
    });
    previewBox.appendChild(reasons);
    var summary = "Triage preview: goes to " + words(triage.tier) + ", " + triage.urgency +
      (triage.safeguarding ? ", safeguarding" : "") + ".";
    if (triageStatus.textContent !== summary) {
      triageStatus.textContent = summary;
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
        renderTriage(answer.triage);
        renderPeople(answer.people);
      })
      .catch(function () {
        /* The preview is a help, not a gate: saving checks everything again. */
      });
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "resident_choice") {
      return;
    }
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(requestPreview, 400);
  });

  /* One save per press: a second Enter while the first is on its way does nothing. */
  var saving = false;
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "check") {
      return;
    }
    if (saving) {
      event.preventDefault();
      return;
    }
    saving = true;
  });
})();
