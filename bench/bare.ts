import express from 'express';

/** The ceiling of the stack on this machine: a bare Express hello-world. */
const app = express();
app.disable('x-powered-by');
app.get('/', (_request, response) => {
  response.send('ok');
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
