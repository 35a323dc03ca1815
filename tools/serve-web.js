#!/usr/bin/env node
// serve-web.js - serves the guest demo page (web/, built into DIR by `make`) on its own
// origin, and /config.json: where the page finds the local stack, from the environment
// the local stack exports (FIREBASE_AUTH_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST,
// FUNCTIONS_URL, GOOGLE_CLOUD_PROJECT, DEMO_PROJECT, DEMO_WORKSPACE, DEMO_EXPERIENCE).
// Usage: node tools/serve-web.js PORT DIR   (listens on 127.0.0.1; exits on SIGTERM/SIGINT)
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");

const port = Number(process.argv[2]);
const dir = process.argv[3] && path.resolve(process.argv[3]);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !dir) {
  console.error("usage: serve-web.js PORT DIR");
  process.exit(2);
}
const env = process.env;
const config = {
  authEmulator: `http://${env.FIREBASE_AUTH_EMULATOR_HOST}`,
  firestoreEmulator: env.FIRESTORE_EMULATOR_HOST,
  functionsUrl: env.FUNCTIONS_URL,
  gcpProject: env.GOOGLE_CLOUD_PROJECT,
  project: env.DEMO_PROJECT || "demo-project",
  workspace: env.DEMO_WORKSPACE || "demo-workspace",
  experience: env.DEMO_EXPERIENCE || "demo-experience",
};
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png" };

http
  .createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const send = (status, type, body) => {
      res.writeHead(status, { "Content-Type": `${type}; charset=utf-8`, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    if (url.pathname === "/config.json") return send(200, "application/json", JSON.stringify(config));
    const file = path.join(dir, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(dir + path.sep)) return send(404, "text/plain", "not found\n");
    fs.readFile(file, (err, data) =>
      err ? send(404, "text/plain", "not found\n") : send(200, types[path.extname(file)] || "application/octet-stream", data),
    );
  })
  .listen(port, "127.0.0.1", () => console.log(`demo page on http://127.0.0.1:${port}/ from ${dir}`));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
