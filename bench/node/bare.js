// Baseline: the smallest Node.js HTTP server, for cold start and RSS comparisons.
require('http').createServer((req, res) => res.end('ok')).listen(+process.env.PORT, '127.0.0.1');
