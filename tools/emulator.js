#!/usr/bin/env node
// emulator.js - runs one of the Firebase CLI's Node emulators on its own: the Cloud
// Tasks emulator or the Authentication emulator.
//
// `firebase emulators:start` needs Java 21 for its other emulators; these two are plain
// Node, so we start their classes directly.
// Usage: node tools/emulator.js tasks|auth PORT [HOST] [PROJECT]
//   HOST defaults to 127.0.0.1; PROJECT (the Auth emulator's project, whose ID tokens
//   it issues) to $GOOGLE_CLOUD_PROJECT or demo-transform.
// Exits on SIGTERM/SIGINT.
"use strict";

const path = require("path");
const lib = path.join(__dirname, "node_modules", "firebase-tools", "lib");
const { logger } = require(path.join(lib, "logger"));
const winston = require(require.resolve("winston", { paths: [lib] }));

const [kind, portArg, hostArg, projectArg] = process.argv.slice(2);
const port = Number(portArg);
const host = hostArg || "127.0.0.1";
const projectId = projectArg || process.env.GOOGLE_CLOUD_PROJECT || "demo-transform";
if (!["tasks", "auth"].includes(kind) || !Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: emulator.js tasks|auth PORT [HOST] [PROJECT]");
  process.exit(2);
}

// The CLI's logger has no transport until the CLI adds one: print its lines ourselves.
logger.add(
  new winston.transports.Console({
    level: process.env.EMULATOR_LOG_LEVEL || "debug",
    format: winston.format.printf((i) => `${i.level}: ${i.message}`),
  }),
);

function create() {
  if (kind === "tasks") {
    const { TasksEmulator } = require(path.join(lib, "emulator", "tasksEmulator"));
    return new TasksEmulator({ host, port });
  }
  const { AuthEmulator, SingleProjectMode } = require(path.join(lib, "emulator", "auth"));
  return new AuthEmulator({ host, port, projectId, singleProjectMode: SingleProjectMode.NO_WARNING });
}

create().start().then(
  () => console.log(`${kind} emulator listening on http://${host}:${port}`),
  (err) => {
    console.error(`${kind} emulator failed to start: ${err}`);
    process.exit(1);
  },
);

// Both emulators keep their state in memory only: nothing to flush, so exit at once.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
