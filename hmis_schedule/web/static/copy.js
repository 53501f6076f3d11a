// Progressive enhancement: a "Copy" button beside each calendar address.
// Without JavaScript the address stays in a read-only field to select and copy.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var box = button.closest(".copy");
    var status = box && box.querySelector(".copy-status");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = button.getAttribute("data-done");
      }, function () {
        field.focus();
        field.select();
      });
    });
  });
})();
