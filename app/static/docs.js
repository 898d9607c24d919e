// Start Swagger UI for /docs (served from the app's own static files; no CDN).
window.addEventListener("load", function () {
  "use strict";
  var holder = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: holder.dataset.openapiUrl, dom_id: "#swagger-ui", deepLinking: false });
});
