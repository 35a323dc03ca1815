#!/usr/bin/env node
// tasks-emulator.js - runs the Firebase CLI's Cloud Tasks emulator on its own.
//
// `firebase emulators:start` needs Java for its other emulators; the Cloud Tasks
// emulator is plain Node, so we start its class directly.
// Usage: node tools/tasks-emulator.js PORT [HOST]   (HOST defaults to 127.0.0.1)
// Exits on SIGTERM/SIGINT.
"use strict";

const path = require("path");
const lib = path.join(__dirname, "node_modules", "firebase-tools", "lib");
const { TasksEmulator } = require(path.join(lib, "emulator", "tasksEmulator"));
const { logger } = require(path.join(lib, "logger"));
const winston = require(require.resolve("winston", { paths: [lib] }));

const port = Number(process.argv[2]);
const host = process.argv[3] || "127.0.0.1";
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: tasks-emulator.js PORT [HOST]");
  process.exit(2);
}

// The CLI's logger has no transport until the CLI adds one: print its lines ourselves.
logger.add(
  new winston.transports.Console({
    level: process.env.TASKS_EMULATOR_LOG_LEVEL || "debug",
    format: winston.format.printf((i) => `${i.level}: ${i.message}`),
  }),
);

const emulator = new TasksEmulator({ host, port });
emulator.start().then(
  () => console.log(`tasks emulator listening on http://${host}:${port}`),
  (err) => {
    console.error(`tasks emulator failed to start: ${err}`);
    process.exit(1);
  },
);

// The emulator keeps its queues in memory only: nothing to flush, so exit at once.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
