// Serves the web playground (web/) at / — static files only, no CDN, works offline.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

export default fp(
  async (app) => {
    await app.register(fastifyStatic, { root: WEB, prefix: '/', index: ['index.html'], schemaHide: true });
  },
  { name: 'playground' },
);
