// The roofline panel's HTML shell. The host calls `renderPanelHtml` with `webview.asWebviewUri`
// URIs, `webview.cspSource` and a fresh nonce; everything else is drawn by dist/webview/main.js.

export interface PanelHtmlOptions {
  /** URI of dist/webview/main.js as the webview sees it. */
  scriptUri: string;
  /** URI of dist/webview/panel.css. */
  styleUri: string;
  /** Optional URI of codicon.css (loaded with id `vscode-codicon-stylesheet`, as vscode-elements expects). */
  codiconsUri?: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh random nonce (base64 / alphanumeric) for this render. */
  nonce: string;
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

function attr(value: string): string {
  return value.replace(/[&"'<>]/g, (c) => ATTR_ESCAPES[c]);
}

/** The Content-Security-Policy of the panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ') + ';';
}

export function renderPanelHtml(opts: PanelHtmlOptions): string {
  const { scriptUri, styleUri, codiconsUri, cspSource, nonce } = opts;
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(nonce)) throw new Error('nonce must be at least 8 base64/alphanumeric characters');
  if (/[;\r\n]/.test(cspSource)) throw new Error('cspSource must be a single source expression');
  const codicons = codiconsUri
    ? `\n  <link rel="stylesheet" href="${attr(codiconsUri)}" id="vscode-codicon-stylesheet" nonce="${attr(nonce)}">`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(cspSource, nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attr(styleUri)}" nonce="${attr(nonce)}">${codicons}
  <title>Inference Budget: roofline</title>
</head>
<body>
  <main id="app" aria-busy="true">
    <p class="loading">Loading the roofline panel…</p>
  </main>
  <script nonce="${attr(nonce)}" src="${attr(scriptUri)}"></script>
</body>
</html>
`;
}
