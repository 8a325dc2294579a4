// Upload progress, and drag-and-drop of files and whole folders. The plain
// forms work without it: this sends the same fields, with each file named by its path
// inside a dropped folder, as a folder input names them.
(function () {
  "use strict";

  // Adds every file under a dropped entry to `out` as {file, name}.
  function walk(entry, out) {
    return new Promise(function (resolve, reject) {
      if (entry.isFile) {
        entry.file(function (file) {
          out.push({ file: file, name: entry.fullPath.replace(/^\/+/, "") });
          resolve();
        }, reject);
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        // A directory reader answers in batches until it answers an empty one.
        var more = function () {
          reader.readEntries(function (batch) {
            if (!batch.length) return resolve();
            Promise.all(Array.prototype.map.call(batch, function (e) {
              return walk(e, out);
            })).then(more, reject);
          }, reject);
        };
        more();
      } else {
        resolve();
      }
    });
  }

  // The files of a drop. Entries must be taken while the event runs; reading them may
  // wait. A drop without entries (an old browser, a scripted drop) gives its files.
  function dropped(dt) {
    var entries = [];
    var plain = [];
    var items = dt.items || [];
    for (var i = 0; i < items.length; i++) {
      var entry = items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
      if (entry) {
        entries.push(entry);
      } else if (items[i].kind === "file") {
        plain.push(items[i].getAsFile());
      }
    }
    if (!items.length) plain = Array.prototype.slice.call(dt.files || []);
    var out = plain.filter(Boolean).map(function (f) {
      return { file: f, name: f.webkitRelativePath || f.name };
    });
    return Promise.all(entries.map(function (e) { return walk(e, out); })).then(function () {
      return out;
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var hint = form.querySelector(".hint");
    if (hint) hint.hidden = false;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.hidden = true;
    form.appendChild(bar);
    var note = document.createElement("p");
    note.setAttribute("role", "alert");
    note.hidden = true;
    form.appendChild(note);

    // The page's texts, in the visitor's language (`data-msg-*` of the section).
    var section = form.closest("section") || form;
    function msg(name, fallback, values) {
      var text = section.getAttribute("data-msg-" + name) || fallback;
      Object.keys(values || {}).forEach(function (k) {
        text = text.split("%" + k).join(String(values[k]));
      });
      return text;
    }

    function say(text, error) {
      note.textContent = text;
      note.className = error ? "msg err" : "msg";
      note.hidden = false;
    }

    function busy(on) {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = on; });
    }

    function send(files) {
      if (!files.length) return;
      var data = new FormData();
      data.append("csrf", form.elements.csrf.value);
      data.append("folder", form.elements.folder.value);
      files.forEach(function (f) { data.append("file", f.file, f.name); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.hidden = false;
          bar.value = Math.round((e.loaded * 100) / e.total);
        }
      };
      xhr.onload = function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (_) {}
        if (xhr.status < 300 && answer.next) {
          say(msg("uploaded", "Uploaded %n of %t.",
            { n: answer.uploaded.length, t: files.length }), false);
          location.assign(answer.next);
        } else {
          busy(false);
          bar.hidden = true;
          say(answer.message || msg("failed", "The upload failed (%s).", { s: xhr.status }), true);
        }
      };
      xhr.onerror = function () {
        busy(false);
        bar.hidden = true;
        say(msg("interrupted", "The upload was interrupted; please try again."), true);
      };
      busy(true);
      note.hidden = true;
      bar.value = 0;
      bar.hidden = false;
      xhr.send(data);
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(Array.prototype.map.call(input.files, function (f) {
        return { file: f, name: f.webkitRelativePath || f.name };
      }));
    });
    ["dragenter", "dragover"].forEach(function (type) {
      form.addEventListener(type, function (e) {
        e.preventDefault();
        form.classList.add("drop");
      });
    });
    form.addEventListener("dragleave", function () { form.classList.remove("drop"); });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      form.classList.remove("drop");
      dropped(e.dataTransfer).then(send, function () {
        say(msg("unreadable", "The dropped folder could not be read."), true);
      });
    });
  });
})();
