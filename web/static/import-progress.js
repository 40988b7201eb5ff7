/* The import progress page: polls the job's status and moves the progress bar; when the job ends, the page
   reloads to show the result. Without this script, the "Check progress again" link does the same. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.getAttribute("data-running") !== "true" || !window.fetch) {
    return;
  }
  document.documentElement.classList.add("js");
  var bar = document.getElementById("import-bar");
  var state = document.getElementById("import-state");
  var announced = "";

  function announce(text) {
    if (text !== announced) {
      announced = text;
      state.textContent = text;
    }
  }

  function show(job) {
    if (job.state === "checking" && job.total_rows) {
      bar.setAttribute("max", String(job.total_rows));
      bar.setAttribute("value", String(job.checked_rows));
      bar.textContent = job.checked_rows + " of " + job.total_rows;
      var tenth = Math.floor((10 * job.checked_rows) / job.total_rows) * 10;
      announce("Checking rows: about " + tenth + "% of " + job.total_rows + " checked.");
    } else if (job.state === "importing") {
      bar.removeAttribute("value");
      announce("All " + job.total_rows + " rows checked (" + job.invalid_rows +
        " with problems). Writing the good batches of " + job.batch_size + " rows.");
    }
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (!job.running) {
          window.location.reload();
          return;
        }
        show(job);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 500);
})();
