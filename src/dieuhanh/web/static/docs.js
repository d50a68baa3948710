// /docs: starts the vendored Swagger UI on the application's own OpenAPI document (no CDN, no inline script).
(function () {
  'use strict';
  const box = document.getElementById('swagger-ui');
  if (!box || typeof SwaggerUIBundle === 'undefined') return;
  SwaggerUIBundle({
    url: box.dataset.openapi || '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    validatorUrl: null,  // the online validator badge would call an outside server
  });
})();
