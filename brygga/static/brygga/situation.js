/* The lägesbild: while the next view is computed (a new period, forum or filter), say so after
   a second, so a long computation is never a silent page. The text is in the page
   ([data-situation-progress], translated); this only shows it. */
(function () {
  "use strict";
  var status = document.querySelector("[data-situation-progress]");
  if (!status) return;
  var timer = null;
  function busy() {
    if (timer) return;
    timer = window.setTimeout(function () {
      status.hidden = false;
      document.body.setAttribute("aria-busy", "true");
    }, 1000);
  }
  document.querySelectorAll("form.situation-filters, form.ranking-form").forEach(function (form) {
    form.addEventListener("submit", busy);
  });
  document.querySelectorAll(".period-links a, .situation-links a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!event.defaultPrevented && !event.metaKey && !event.ctrlKey && !event.shiftKey) busy();
    });
  });
  /* back from the browser's cache: the page is complete again */
  window.addEventListener("pageshow", function () {
    if (timer) window.clearTimeout(timer);
    timer = null;
    status.hidden = true;
    document.body.removeAttribute("aria-busy");
  });
})();
