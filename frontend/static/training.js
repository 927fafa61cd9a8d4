// Training pages: keep a live job log scrolled to its newest line while the panel refreshes.
(function () {
  "use strict";
  const follow = (root) => {
    (root || document).querySelectorAll("pre.log[data-follow]").forEach((el) => {
      el.scrollTop = el.scrollHeight;
    });
  };
  document.addEventListener("DOMContentLoaded", () => follow());
  document.addEventListener("htmx:afterSettle", () => follow());
})();
