/* The main menu (issue #12): open on wide screens, collapsed behind "Meny" on phones.
   The page renders the <details> open, so without JavaScript the menu is simply always open.
   Loaded right after the menu (not deferred), so a phone never shows it open first. */
(function () {
  "use strict";
  var menu = document.getElementById("nav-menu");
  if (!menu || !window.matchMedia) {
    return;
  }
  var phone = window.matchMedia("(max-width: 40rem)");
  function fit() {
    menu.open = !phone.matches;
  }
  fit();
  if (phone.addEventListener) {
    phone.addEventListener("change", fit);
  }
})();
