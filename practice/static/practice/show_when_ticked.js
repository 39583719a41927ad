/* Show a group of fields only while its checkbox is ticked (data-shown-by="<checkbox id>").
   Without this script every field shows, as the server sent it. Self-hosted, under script-src 'self'. */
(function () {
  "use strict";
  document.querySelectorAll("[data-shown-by]").forEach(function (group) {
    var box = document.getElementById(group.getAttribute("data-shown-by"));
    if (!box) {
      return;
    }
    function sync() {
      group.hidden = !box.checked;
    }
    box.addEventListener("change", sync);
    sync();
  });
})();
