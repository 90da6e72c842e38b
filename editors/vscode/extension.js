// Starts `llv lsp` for .llv files. Highlighting needs none of this: it is the grammar alone.
"use strict";

const vscode = require("vscode");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("llv");
  if (!config.get("server.enabled", true)) {
    return;
  }
  let lc;
  try {
    lc = require("vscode-languageclient/node");
  } catch (err) {
    vscode.window.showWarningMessage(
      "llv: run `npm install` in the extension folder to enable the language server (highlighting works without it)."
    );
    return;
  }
  const serverOptions = {
    command: config.get("server.command", "llv"),
    args: config.get("server.args", ["lsp"]),
    transport: lc.TransportKind.stdio,
  };
  const clientOptions = { documentSelector: [{ language: "llv" }] };
  client = new lc.LanguageClient("llv", "llv language server", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(`llv: the language server did not start (${err.message}); is \`llv\` installed with the lsp extra?`);
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
