/* Uppföljning – staff pages. Progressive enhancement only: every page works without this file. */
"use strict";

/* A form sent back with errors: move focus to the error summary so it is read first. */
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("fel");
  if (summary) {
    summary.focus();
  }
});
