// Attendance checklist: the leave reason is asked for only when 请假 is chosen.
(function () {
  "use strict";
  function sync(item) {
    var leave = item.querySelector('input[type=radio][value="leave"]');
    var reason = item.querySelector("input.reason");
    if (!leave || !reason) return;
    reason.hidden = !leave.checked;
    reason.required = leave.checked;
  }
  document.querySelectorAll(".checklist li").forEach(function (item) {
    sync(item);
    item.addEventListener("change", function () {
      sync(item);
      var reason = item.querySelector("input.reason");
      if (reason && !reason.hidden) reason.focus();
    });
  });
})();
