// CORS (@fastify/cors), off unless --cors-origins is set: no CORS headers by default, so
// browsers on other origins cannot call the API. "*" allows any origin; otherwise a list.
import cors from '@fastify/cors';
import fp from 'fastify-plugin';

export default fp<{ origins: string | undefined }>(
  async (app, { origins }) => {
    if (!origins) return;
    const list = origins
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    await app.register(cors, { origin: list.includes('*') ? '*' : list, methods: ['GET', 'POST', 'HEAD', 'OPTIONS'] });
  },
  { name: 'cors' },
);
