// Copy buttons: a button with data-copy="ID" copies the text of the element with that
// id. Without script the button stays hidden and the text is selectable as it is.
(function () {
  "use strict";
  function wire(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    var status = button.parentNode.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        if (status) { status.textContent = "Copied."; }
      }, function () {
        if (status) { status.textContent = "Could not copy; select the text and copy it."; }
      });
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), wire);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
