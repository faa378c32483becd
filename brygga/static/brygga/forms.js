/* Brygga forms and status messages (issue #12): a small progressive enhancement of what the
   pages already do without JavaScript.

   - The error summary at the top of a form (includes/error_summary.html) takes the focus by
     itself (autofocus). Following one of its links focuses the field, opens a closed <details>
     around it, and scrolls so that the field's label or legend is in view, not just the input.
   - The status messages after an action (Django messages, in the role="status" region of
     base.html) take the focus when the page loads, so they are read out at once, unless the
     page puts the focus elsewhere itself (autofocus, an error summary, a #fragment). */
(function () {
  "use strict";

  function openDetails(el) {
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      d.open = true;
    }
  }

  /* The label or legend that names ``target``: shown above it when a link moves there. */
  function caption(target) {
    if (target.tagName === "FIELDSET") { return target.querySelector("legend"); }
    var group = target.closest("fieldset");
    if (group && (target.type === "radio" || target.type === "checkbox") && !target.labels.length) {
      return group.querySelector("legend");
    }
    return target.labels && target.labels.length ? target.labels[0] : null;
  }

  function follow(event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) { return; }
    event.preventDefault();
    openDetails(target);
    target.focus({ preventScroll: true });
    var label = caption(target) || target;
    // Scroll only if needed: then the label (or a group's legend) comes to the top, with its
    // field below it. A group may be taller than the screen; its legend is what must show.
    if (!inView(label) || (target.tagName !== "FIELDSET" && !inView(target))) {
      label.scrollIntoView({ block: "start" });
    }
  }

  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight);
  }

  document.querySelectorAll("[data-error-summary]").forEach(function (summary) {
    summary.addEventListener("click", follow);
  });

  var summary = document.querySelector("[data-error-summary]");
  var messages = document.getElementById("messages");
  if (summary) {
    if (document.activeElement === document.body) { summary.focus(); }
  } else if (messages && messages.children.length && !location.hash &&
             !document.querySelector("[autofocus]")) {
    messages.focus();
  }
})();
