// The ward map (web/templates/reports_wards.html): selecting a ward opens its needs in the list below the
// map and marks it on the map. Without this script the ward's link still jumps to its entry in the list.
(function () {
  "use strict";
  function select(code) {
    var entry = document.getElementById("ward-" + code);
    if (!entry) { return; }
    document.querySelectorAll(".ward.selected").forEach(function (ward) { ward.classList.remove("selected"); });
    document.querySelectorAll('.ward[data-ward="' + code + '"]').forEach(function (ward) { ward.classList.add("selected"); });
    entry.open = true;
  }
  document.querySelectorAll("a.ward").forEach(function (ward) {
    ward.addEventListener("click", function () { select(ward.getAttribute("data-ward")); });
  });
  if (window.location.hash.indexOf("#ward-") === 0) { select(window.location.hash.slice(6)); }
}());
