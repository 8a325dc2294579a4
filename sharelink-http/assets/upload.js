// sharelink: upload progress and drag-and-drop. The plain form works without it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.hidden = true;
    form.appendChild(bar);
    function send(files) {
      if (!files || !files.length) return;
      var data = new FormData();
      data.append("csrf", form.elements.csrf.value);
      data.append("folder", form.elements.folder.value);
      for (var i = 0; i < files.length; i++) {
        data.append("file", files[i], files[i].webkitRelativePath || files[i].name);
      }
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
        if (xhr.status < 300) {
          location.reload();
        } else {
          var message = "Upload failed";
          try { message = JSON.parse(xhr.responseText).message; } catch (_) {}
          bar.hidden = true;
          window.alert(message);
        }
      };
      xhr.send(data);
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(input.files);
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
      send(e.dataTransfer.files);
    });
  });
})();
