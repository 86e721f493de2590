// The desk's keyboard (issue #4): j/k move, o/Enter open, x select, r reply, n note,
// u inbox, / search, ? help. Rows are elements with [data-row]; the link that opens a
// row has [data-open]. No shortcut fires while the agent types in a field.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function rows() {
    return Array.from(document.querySelectorAll("[data-row]"));
  }

  function selectRow(index) {
    const all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) {
      row.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    const row = all[index];
    row.scrollIntoView({ block: "nearest" });
    const link = row.querySelector("[data-open]") || row.querySelector("a");
    if (link) link.focus({ preventScroll: true });
  }

  function currentIndex() {
    return rows().findIndex(function (row) { return row.getAttribute("aria-selected") === "true"; });
  }

  function openHelp() {
    const dialog = document.getElementById("shortcuts-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function focusComposer(note) {
    const composer = document.getElementById("composer");
    if (!composer) return false;
    const toggle = composer.querySelector("[name=internal_note]");
    if (toggle && toggle.type === "checkbox") {
      toggle.checked = !!note;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const text = composer.querySelector("textarea");
    if (text) {
      composer.scrollIntoView({ block: "center" });
      text.focus();
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const index = currentIndex();
    switch (event.key) {
      case "j": selectRow(index + 1); break;
      case "k": selectRow(index < 0 ? 0 : index - 1); break;
      case "o":
      case "Enter": {
        if (index < 0) return;
        const row = rows()[index];
        const link = row.querySelector("[data-open]") || row.querySelector("a");
        if (!link) return;
        // Enter on another link or button (Next page, Set status, Split…) does what that
        // control does, not "open the selected row".
        const control = event.target.closest && event.target.closest("a[href], button, summary, label");
        if (event.key === "Enter" && control && control !== link) return;
        link.click();
        break;
      }
      case "x": {
        if (index < 0) return;
        const box = rows()[index].querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
        break;
      }
      case "r": if (!focusComposer(false)) return; break;
      case "n": if (!focusComposer(true)) return; break;
      case "u": {
        const back = document.querySelector("[data-back]");
        window.location.href = back ? back.getAttribute("href") : "/desk/";
        break;
      }
      case "/": {
        const search = document.getElementById("desk-search");
        if (!search) return;
        search.focus(); search.select();
        break;
      }
      case "?": openHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts]")) openHelp();
  });

  // Toasts fade after a while; the live region has already announced them.
  document.addEventListener("DOMContentLoaded", function () {
    setTimeout(function () {
      document.querySelectorAll(".flash .toast").forEach(function (t) { t.remove(); });
    }, 6000);
  });
  document.body && document.body.addEventListener("htmx:afterSwap", function () {
    setTimeout(function () {
      document.querySelectorAll(".flash .toast").forEach(function (t) { t.remove(); });
    }, 6000);
  });
})();
