// Keyboard shortcuts of the review UI (every page works without this file). It reads no
// listing data and builds no markup: it only focuses fields and clicks the page's own
// buttons, as the analyst would. Press ? for the list.
(function () {
  "use strict";
  var active = null; // the decision form chosen with d or e

  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
    return tag === "INPUT" && el.type !== "radio" && el.type !== "checkbox";
  }

  function byKey(key) {
    return document.querySelector('[data-key="' + key + '"]');
  }

  function press(el) {
    if (el.tagName === "FORM") {
      var button = el.querySelector("button[type=submit]");
      if (button) button.click();
    } else {
      el.click();
    }
  }

  function nextButton(form) {
    return form && form.querySelector("button[name=then][value=next]");
  }

  function choose(form) {
    active = form;
    var first =
      form.querySelector("input[type=radio]:checked") ||
      form.querySelector("input[type=radio]") ||
      form.querySelector("textarea");
    if (first) first.focus();
    form.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.metaKey) return;
    var target = ev.target;
    if (typing(target)) {
      if (ev.key === "Escape") {
        target.blur();
        ev.preventDefault();
      } else if (ev.key === "Enter" && ev.ctrlKey && nextButton(target.form)) {
        ev.preventDefault();
        nextButton(target.form).click();
      }
      return;
    }
    if (ev.ctrlKey) return;
    var key = ev.key;
    var form = active || (target && target.form) || null;
    if (key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) {
        help.open = !help.open;
        if (help.open) help.scrollIntoView({ block: "nearest" });
      }
      ev.preventDefault();
    } else if (key === "q") {
      window.location.assign("/queue");
    } else if (key === "d" || key === "e") {
      var chosen = byKey(key);
      if (chosen && chosen.classList.contains("decision")) {
        ev.preventDefault();
        choose(chosen);
      }
    } else if (/^[1-9]$/.test(key)) {
      var radios = form ? form.querySelectorAll("input[type=radio]") : [];
      var radio = radios[parseInt(key, 10) - 1];
      if (radio) {
        ev.preventDefault();
        radio.checked = true;
        radio.focus();
      }
    } else if (key === "/") {
      var note = (form || document).querySelector("form.decision textarea, textarea");
      if (note) {
        ev.preventDefault();
        note.focus();
      }
    } else if (key === "Enter") {
      if (nextButton(form)) {
        ev.preventDefault();
        nextButton(form).click();
      }
    } else if ("ncru+-".indexOf(key) >= 0 && byKey(key)) {
      ev.preventDefault();
      press(byKey(key));
    }
  });
})();
