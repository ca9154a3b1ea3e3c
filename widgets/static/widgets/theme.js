// The colour theme toggle in the top bar: light, dark, or the system's (prefers-color-scheme).
// A choice sets data-theme on <html> at once and is kept in a cookie (its name is on the toggle),
// which the server reads to render data-theme with the next page: no flash of the other theme,
// and nothing to run before the first paint. Listeners, not inline handlers: CSP script-src 'self'.
(function () {
  "use strict";
  var YEAR_SECONDS = 365 * 24 * 60 * 60;

  function remember(cookie, theme) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    var lifetime = theme ? "; max-age=" + YEAR_SECONDS : "; max-age=0";
    document.cookie = cookie + "=" + theme + "; path=/; samesite=lax" + lifetime + secure;
  }

  function choose(toggle, theme) {
    if (theme) {
      document.documentElement.setAttribute("data-theme", theme);
    } else {
      document.documentElement.removeAttribute("data-theme");
    }
    remember(toggle.getAttribute("data-theme-cookie"), theme);
    var choices = toggle.querySelectorAll("[data-theme-choice]");
    for (var i = 0; i < choices.length; i++) {
      var isChosen = choices[i].getAttribute("data-theme-choice") === theme;
      choices[i].setAttribute("aria-pressed", isChosen ? "true" : "false");
    }
  }

  function start(toggle) {
    toggle.addEventListener("click", function (event) {
      var choice = event.target.closest("[data-theme-choice]");
      if (choice && toggle.contains(choice)) {
        choose(toggle, choice.getAttribute("data-theme-choice"));
      }
    });
    toggle.hidden = false;
  }

  function startAll() {
    var toggles = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < toggles.length; i++) {
      start(toggles[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
