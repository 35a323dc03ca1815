// The guest demo page: what the guest web app does, against the local stack.
//   1. signs in anonymously (Auth emulator)
//   2. creates its session for the demo experience through Firestore, as the guest,
//      under firestore.rules (?session=ID uses an existing session instead)
//   3. listens to the session (onSnapshot) and shows every jobStatus change, with the
//      delay from the document's update time to the listener's callback
//   4. on click, calls startTransformPipeline cross-origin with the ID token
//      (?token=none sends none) and shows the job ID, or the error as a guest sees it.
// window.demo holds what the page measured, for tests/browser.
import { initializeApp } from "firebase/app";
import { connectAuthEmulator, getAuth, signInAnonymously } from "firebase/auth";
import { connectFirestoreEmulator, doc, getFirestore, onSnapshot, setDoc } from "firebase/firestore";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const demo = (window.demo = { ready: false, statuses: [], errors: [], jobId: null, jobIdLatencyMs: null,
  jobIdAtMs: null });

function showError(text) {
  demo.errors.push(text);
  $("error").textContent = text;
  $("error").style.display = "block";
}

// The document's commit time: the SDK keeps it on the snapshot (not public API); the
// backend's updatedAt (epoch ms) is the fallback.
function updateTime(snap) {
  const version = snap._document && snap._document.version;
  if (version && version.toTimestamp) return { ms: version.toTimestamp().toMillis(), source: "updateTime" };
  return { ms: Number(snap.get("updatedAt")), source: "updatedAt" };
}

function onSession(snap) {
  if (!snap.exists()) return;
  const status = snap.get("jobStatus") || null;
  const last = demo.statuses[demo.statuses.length - 1];
  if (snap.get("jobId")) $("job").textContent = snap.get("jobId");
  if (!status || (last && last.status === status && last.jobId === snap.get("jobId"))) return;
  $("status").textContent = status;
  $("status").className = status;
  const written = updateTime(snap);
  const shown = Date.now();
  const entry = { status, jobId: snap.get("jobId"), updateTimeMs: written.ms, timeSource: written.source,
    shownAtMs: shown, delayMs: Math.round(shown - written.ms) };
  demo.statuses.push(entry);
  const li = document.createElement("li");
  li.textContent = `${status} - shown ${entry.delayMs} ms after the write`;
  $("history").appendChild(li);
  $("start").disabled = status === "pending" || status === "running" ? !params.has("allow-busy") : false;
}

async function start(auth, config, sessionId) {
  $("error").style.display = "none";
  const clicked = performance.now();
  const headers = { "Content-Type": "application/json" };
  if (params.get("token") !== "none") headers.Authorization = `Bearer ${await auth.currentUser.getIdToken()}`;
  let res, body;
  try {
    res = await fetch(`${config.functionsUrl}/startTransformPipeline?projectId=${encodeURIComponent(config.project)}`, {
      method: "POST",
      headers,
      body: JSON.stringify({ sessionId, stepId: "transform" }),
    });
    body = await res.json().catch(() => ({}));
  } catch (e) {
    return showError("Could not reach the service. Check your connection and try again.");
  }
  if (res.ok && body.jobId) {
    demo.jobId = body.jobId;
    $("job").textContent = body.jobId;
    demo.jobIdLatencyMs = Math.round(performance.now() - clicked);
    demo.jobIdAtMs = Date.now(); /* the answer follows the commit that wrote pending */
    return;
  }
  const err = body.error || {};
  showError(`HTTP ${res.status} ${err.code || ""}: ${err.message || "Something went wrong."}`);
}

async function main() {
  const config = await (await fetch("/config.json")).json();
  const app = initializeApp({ apiKey: "demo-api-key", projectId: config.gcpProject, appId: "demo-guest" });
  const auth = getAuth(app);
  connectAuthEmulator(auth, config.authEmulator, { disableWarnings: true });
  const db = getFirestore(app);
  const [fsHost, fsPort] = config.firestoreEmulator.split(":");
  connectFirestoreEmulator(db, fsHost, Number(fsPort));

  const { user } = await signInAnonymously(auth);
  demo.uid = user.uid;
  $("user").textContent = `${user.uid} (anonymous)`;

  let sessionId = params.get("session");
  if (!sessionId) {
    sessionId = `web-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const now = Date.now();
    // The fields the rules require of a guest's new session (README "Security rules").
    await setDoc(doc(db, "projects", config.project, "sessions", sessionId), {
      id: sessionId, projectId: config.project, workspaceId: config.workspace, eventId: null,
      experienceId: config.experience, mode: "guest", configSource: "published", status: "active",
      answers: [{ stepId: "q1", stepType: "input.scale", value: 4, answeredAt: now }], capturedMedia: [],
      resultMedia: null, jobId: null, jobStatus: null, createdBy: user.uid, createdAt: now, updatedAt: now,
      completedAt: null,
    });
  }
  demo.sessionId = sessionId;
  $("session").textContent = `${config.project}/${sessionId}`;
  onSnapshot(doc(db, "projects", config.project, "sessions", sessionId), onSession, (e) =>
    showError(`This session is not yours to see (${e.code}).`),
  );
  $("start").addEventListener("click", () => start(auth, config, sessionId));
  $("start").disabled = false;
  demo.ready = true;
}

main().catch((e) => showError(`Could not start: ${e.code || e.message}`));
