// The pages' own script (served from here: the CSP allows no other). It only helps:
// every page works without it.
// - A report block typed in says "Changed: not saved yet" at once (the server marks
//   blocks "not saved in this report yet" or "saved").
// - Leaving a page with typed, unsaved text in a form marked data-warn-unsaved asks
//   first (the browser's own "Leave site?" dialog). Posting the form itself does not.
// - A file input (data-max-bytes) refuses, as soon as it is chosen and so before any
//   upload, a file over the limit or one the browser calls HTML, SVG, a script or a
//   program (the server decides by content anyway); htmx posts show upload progress.
(function () {
  'use strict';
  var posting = false;

  function markChanged(block) {
    if (!block || block.getAttribute('data-block') === 'changed') return;
    block.setAttribute('data-block', 'changed');
    var line = block.querySelector('.entry-state');
    if (line) {
      var strong = document.createElement('strong');
      strong.textContent = 'Changed: ';
      line.replaceChildren(strong, 'not saved yet.');
    }
  }

  document.addEventListener('input', function (ev) {
    var form = ev.target.closest && ev.target.closest('form[data-warn-unsaved]');
    if (!form) return;
    form.setAttribute('data-dirty', 'true');
    markChanged(ev.target.closest('[data-block]'));
  });

  // A plain post carries the text with it.
  document.addEventListener('submit', function () { posting = true; });

  // After a block is saved in place, the form is dirty only if another block is.
  document.addEventListener('htmx:afterSettle', function () {
    document.querySelectorAll('form[data-warn-unsaved][data-dirty]').forEach(function (form) {
      if (form.querySelector('[data-block]') && !form.querySelector('[data-block="changed"]')) {
        form.removeAttribute('data-dirty');
      }
    });
  });

  var REFUSED = /html|svg|javascript|ecmascript|x-sh|x-msdownload|x-msdos|x-executable|x-python|x-perl|x-php/i;

  function sizeWords(bytes) {
    return bytes < 1024 * 1024 ? Math.round(bytes / 1024) + ' KB' : (bytes / 1048576).toFixed(1) + ' MB';
  }

  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches('input[type=file][data-max-bytes]')) return;
    var note = document.getElementById(input.id + '-refused');
    var max = Number(input.getAttribute('data-max-bytes'));
    var why = '';
    Array.prototype.forEach.call(input.files || [], function (f) {
      if (f.size > max) why = f.name + ' is ' + sizeWords(f.size) + ', over the limit of ' + sizeWords(max) + '. Choose a smaller file.';
      else if (f.size === 0) why = f.name + ' is empty. Choose another file.';
      else if (REFUSED.test(f.type)) why = f.name + ' is a web page, an SVG image or a program, which are not accepted. Choose a PDF, Office, OpenDocument, PNG, JPEG, CSV or text file.';
    });
    if (note) {
      note.textContent = why;
      note.hidden = !why;
      note.setAttribute('role', 'alert');
    }
    if (why) {
      input.value = '';
      input.setAttribute('aria-invalid', 'true');
    } else {
      input.removeAttribute('aria-invalid');
    }
  });

  document.addEventListener('htmx:xhr:progress', function (ev) {
    // A report block's own button sends its block's file: its bar, not the form's first.
    var form = ev.target.closest ? (ev.target.closest('[data-block]') || ev.target.closest('form')) : null;
    var bar = form && form.querySelector('progress.upload-progress');
    if (!bar || !ev.detail || !ev.detail.lengthComputable) return;
    var file = form.querySelector('input[type=file]');
    if (!file || !file.files || !file.files.length) return;
    bar.hidden = false;
    bar.value = Math.round(100 * ev.detail.loaded / ev.detail.total);
    bar.textContent = bar.value + '%';
  });

  window.addEventListener('beforeunload', function (ev) {
    if (posting) return;
    if (document.querySelector('form[data-warn-unsaved][data-dirty]')) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  });
}());
