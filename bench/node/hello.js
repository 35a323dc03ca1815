// Baseline: the same trivial function on the Node.js Functions Framework.
const ff = require('@google-cloud/functions-framework');
ff.http('hello', (req, res) => res.send('ok'));
