// The pledge form's country picker: a search box over the country check boxes, the chosen countries as
// removable chips, and buttons adding every country of a group (LDC, LLDC, SIDS) or an ITU region at once.
//
// Progressive enhancement: without this script the form is the same check boxes, grouped by region, and the
// "add every country of a group" boxes expanded by the server. The script only ticks and unticks those check
// boxes, so what is posted is the same either way. A small script of our own rather than a library (Choices,
// Tom Select…): the platform loads nothing from elsewhere, the CSP allows only our own static files, and
// enhancing the existing check boxes needs a hundred lines, not a widget that replaces them.
// Every text shown comes from the page (data-* attributes), translated by the server.
(function () {
  "use strict";

  // As the server writes data-search: lower case, no accents, punctuation as spaces. A country matches when
  // a word of its names or codes starts with what was typed ("mala": Malawi, Malaysia; not Guatemala).
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function enhance(picker) {
    var words = picker.dataset;
    var boxes = Array.prototype.slice.call(picker.querySelectorAll("input[name=target_countries]"));
    var regions = Array.prototype.slice.call(picker.querySelectorAll("details.picker-region"));
    var shortcuts = document.querySelector("fieldset.picker-shortcuts");
    var tools = element("div", "picker-tools");

    var chosenHeading = element("p", "picker-chosen-heading", words.chosenLabel);
    chosenHeading.id = "picker-chosen-heading";
    var chips = element("ul", "chips");
    chips.setAttribute("aria-labelledby", "picker-chosen-heading");
    var clear = element("button", "secondary picker-clear", words.clear);
    clear.type = "button";

    var searchLabel = element("label", "", words.searchLabel);
    searchLabel.htmlFor = "country-search";
    var searchHint = element("p", "hint", words.searchHint);
    searchHint.id = "country-search-hint";
    var search = element("input", "picker-search");
    search.type = "search";
    search.id = "country-search";
    search.autocomplete = "off";
    search.setAttribute("aria-describedby", "country-search-hint picker-status");
    search.setAttribute("aria-controls", "picker-regions");
    var status = element("p", "hint picker-status");
    status.id = "picker-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    var groups = element("div", "picker-groups");
    var groupsHeading = element("p", "picker-groups-heading", words.addLabel);
    groupsHeading.id = "picker-groups-heading";
    groups.setAttribute("role", "group");
    groups.setAttribute("aria-labelledby", "picker-groups-heading");
    groups.appendChild(groupsHeading);

    if (shortcuts) {
      shortcuts.querySelectorAll("input[name=add_countries]").forEach(function (shortcut) {
        var button = element("button", "secondary", fill(words.add, {group: shortcut.dataset.label, count: shortcut.dataset.count}));
        button.type = "button";
        button.addEventListener("click", function () { addGroup(shortcut.value, shortcut.dataset.label); });
        groups.appendChild(button);
        shortcut.checked = false;
      });
      shortcuts.hidden = true; // its check boxes are replaced by the buttons above
    }

    tools.append(chosenHeading, chips, clear, searchLabel, searchHint, search, status, groups);
    var list = picker.querySelector(".picker-regions");
    list.insertAdjacentElement("beforebegin", tools); // after the legend, its hint and its errors
    list.id = "picker-regions";
    var noJsChosen = picker.querySelector(".picker-nojs-chosen");
    if (noJsChosen) noJsChosen.hidden = true;

    function addGroup(value, name) {
      var kind = value.split(":")[0], code = value.split(":")[1], added = 0;
      boxes.forEach(function (box) {
        var member = kind === "group" ? box.dataset.groups.split(" ").indexOf(code) >= 0 : box.dataset.region === code;
        if (member && !box.checked) { box.checked = true; added += 1; }
      });
      refresh();
      status.textContent = fill(words.added, {count: added, group: name});
    }

    function refresh() {
      chips.textContent = "";
      var chosen = boxes.filter(function (box) { return box.checked; });
      chosen.sort(function (a, b) { return a.dataset.name.localeCompare(b.dataset.name); });
      chosen.forEach(function (box) {
        var chip = element("li");
        var remove = element("button", "chip", box.dataset.name);
        remove.type = "button";
        remove.setAttribute("aria-label", fill(words.remove, {name: box.dataset.name}));
        remove.appendChild(element("span", "chip-x", "×")).setAttribute("aria-hidden", "true");
        remove.addEventListener("click", function () {
          box.checked = false;
          refresh();
          search.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      if (!chosen.length) chips.appendChild(element("li", "hint", words.none));
      clear.hidden = !chosen.length;
      chosenHeading.textContent = words.chosenLabel + " (" + fill(words.count, {count: chosen.length}) + ")";
      regions.forEach(function (region) {
        var n = region.querySelectorAll("input:checked").length;
        region.querySelector(".picker-region-count").textContent = n ? "(" + fill(words.count, {count: n}) + ")" : "";
      });
    }

    function filter() {
      var wanted = fold(search.value), matches = 0;
      regions.forEach(function (region) {
        var shown = 0;
        region.querySelectorAll("li[data-search]").forEach(function (item) {
          var hit = !wanted || (" " + item.dataset.search).indexOf(" " + wanted) >= 0;
          item.hidden = !hit;
          shown += hit ? 1 : 0;
        });
        matches += shown;
        region.hidden = !shown;
        if (wanted) region.open = true;
        else region.open = region.querySelectorAll("input:checked").length > 0;
      });
      if (!wanted) status.textContent = "";
      else if (!matches) status.textContent = fill(words.noMatch, {text: search.value.trim()});
      else status.textContent = fill(words.matches, {count: matches});
      return matches;
    }

    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault(); // Enter in the search box does not post the form
      var visible = boxes.filter(function (box) { return !box.closest("li").hidden; });
      if (search.value.trim() && visible.length === 1) {
        visible[0].checked = true;
        refresh();
      } else if (visible.length) {
        visible[0].focus();
      }
    });
    clear.addEventListener("click", function () {
      boxes.forEach(function (box) { box.checked = false; });
      refresh();
      filter();
      search.focus();
    });
    boxes.forEach(function (box) { box.addEventListener("change", refresh); });
    picker.classList.add("picker-ready");
    refresh();
  }

  document.querySelectorAll("fieldset.country-picker").forEach(enhance);
})();
