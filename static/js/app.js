/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  // The "Search" buttons of entity pickers are only needed without JavaScript: with it, the
  // options refresh as the user types, so the buttons are hidden to keep the form short.
  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.add("js");
  });
  // Enter in a picker's search box searches now instead of submitting the whole form.
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.closest || !input.closest(".picker-search")) return;
    event.preventDefault();
    if (window.htmx) window.htmx.trigger(input, "search");
  });
  // A picker's options were refreshed: tell screen-reader users how many matches there are.
  document.addEventListener("htmx:afterSwap", function (event) {
    var select = event.detail.target;
    if (!select || select.tagName !== "SELECT") return;
    var status = document.getElementById(select.id + "_status");
    if (status) {
      var count = select.querySelectorAll("option[value]:not([value=''])").length;
      status.textContent = count === 1 ? "1 match" : count + " matches";
    }
  });
})();
