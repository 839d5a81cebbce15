// 党费收缴: each row asks only for what its choice needs (amount and note, months,
// or reason and approval date), and one button marks every unpaid row as paid in full.
(function () {
  "use strict";
  var NEEDS = {
    amount: ["amount", "note"],
    advance: ["months"],
    exempt: ["note", "approved"],
  };
  function sync(row) {
    var select = row.querySelector("select");
    if (!select) return;
    var wanted = NEEDS[select.value] || [];
    row.querySelectorAll(".inputs label[data-field]").forEach(function (label) {
      label.hidden = wanted.indexOf(label.dataset.field) < 0;
    });
  }
  var rows = document.querySelectorAll(".dues-row");
  rows.forEach(function (row) {
    sync(row);
    row.addEventListener("change", function () { sync(row); });
  });
  var all = document.getElementById("all-full");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      rows.forEach(function (row) {
        var select = row.querySelector("select");
        if (select && !select.value) { select.value = "full"; sync(row); }
      });
    });
  }
})();
