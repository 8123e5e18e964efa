/**
 * The console's static serving at /console: index.html for every page (deep links), hashed
 * assets with long-lived cache headers and their content types, the CSP, and 503 before a
 * build exists.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, ensureConsoleBuilt } from '../../console/build.js';
import { consoleRoutes, CONSOLE_CSP } from '../../src/http/routes/console.js';
import type { Auth } from '../../src/http/auth.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;

beforeAll(async () => {
  await ensureConsoleBuilt('stale');
  t = await createTestContext();
}, 120_000);

afterAll(async () => {
  await t.cleanup();
});

describe('GET /console', () => {
  it.each(['/console', '/console/', '/console/projects/1/flags/new-checkout', '/console/projects/1/persons/user%40example.com'])('%s serves index.html', async (url) => {
    const r = await t.http.get(url).expect(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.text).toContain('<div id="app"></div>');
    expect(r.text).not.toMatch(/<script>(?!<)/); // no inline script: the CSP would block it
  });

  it('serves hashed assets as immutable with their content type, and 404s a missing one', async () => {
    const assets = readdirSync(path.join(DIST_DIR, 'assets'));
    const js = assets.find((f) => f.endsWith('.js'))!;
    const css = assets.find((f) => f.endsWith('.css'))!;
    const rj = await t.http.get(`/console/assets/${js}`).expect(200);
    expect(rj.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(rj.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(rj.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect((await t.http.get(`/console/assets/${css}`).expect(200)).headers['content-type']).toMatch(/^text\/css/);
    const missing = await t.http.get('/console/assets/index-nothere.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/^text\/plain/);
    expect((await t.http.get('/console/favicon.svg').expect(200)).headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('leaves other methods and paths alone', async () => {
    expect((await t.http.post('/console/projects')).status).toBe(404);
    expect((await t.http.get('/consoleX')).status).toBe(404);
    expect((await t.http.get('/healthz')).status).toBe(200);
  });

  it('answers 503 with how to build when there is no build', async () => {
    const app = express();
    consoleRoutes({ distDir: '/nonexistent/console/dist' })(app, {} as Auth);
    const r = await supertest(app).get('/console/projects/1').expect(503);
    expect(r.text).toMatch(/npm run build:console/);
  });
});
