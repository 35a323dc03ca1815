// usage: node bench/node/fake_google.js PORT
// The bench's stand-in for Google in production mode (bench/pipeline.sh, "first request,
// production mode"), on 127.0.0.1:PORT:
//   /computeMetadata/v1/...  the metadata server (Metadata-Flavor: Google required): an
//                            access token "owner" (the Firestore emulator's admin
//                            identity, so FIRESTORE_ENDPOINT may point at the emulator),
//                            the project and the service account's e-mail
//   /v2/projects/.../tasks   Cloud Tasks (GCP_TASKS_ENDPOINT=http://127.0.0.1:PORT/v2):
//                            createTask answers the task, a task lookup 404 NOT_FOUND;
//                            nothing is ever delivered
const http = require('http');

const port = Number(process.argv[2]);
const project = process.env.GOOGLE_CLOUD_PROJECT || 'demo-bench';
const metadata = {
  '/computeMetadata/v1/instance/service-accounts/default/token': () =>
    JSON.stringify({ access_token: 'owner', expires_in: 3600, token_type: 'Bearer' }),
  '/computeMetadata/v1/project/project-id': () => project,
  '/computeMetadata/v1/instance/service-accounts/default/email': () => `bench@${project}.iam.gserviceaccount.com`,
};
let created = 0;

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Metadata-Flavor': 'Google' });
  res.end(body);
}

function tasks(req, path, body, res) {
  if (req.method === 'POST' && path.endsWith('/tasks')) {
    const task = (JSON.parse(body || '{}').task) || {};
    task.name = task.name || `${path.slice(4)}/fake-${++created}`;
    return send(res, 200, JSON.stringify(task));
  }
  send(res, 404, JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', message: 'no such task' } }));
}

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      if (metadata[path])
        return req.headers['metadata-flavor'] === 'Google' ? send(res, 200, metadata[path]()) : send(res, 403, '');
      if (path.startsWith('/v2/projects/')) return tasks(req, path, body, res);
      send(res, 404, '');
    });
  })
  .listen(port, '127.0.0.1');
