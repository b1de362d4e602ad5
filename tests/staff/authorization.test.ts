import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../server/staff/service.js';
import { createWorld, registeredRoutes, type World, signInStaff } from '../helpers.js';

/** Walks every registered staff route and checks the access policy on each, so a new route
 * cannot forget it: anonymous → the sign-in page; a liaison of one agency → 403/404 for another
 * agency's pages; an inspector → no write action. */

let world: World;
const routes: { method: string; path: string }[] = [];

beforeAll(async () => {
  world = await createWorld();
  await addStaff(world.db, world.clock, { email: 'inspektur@example.id', role: 'inspector', password: 'inspector-password-1' });
  await addStaff(world.db, world.clock, { email: 'kota@example.id', role: 'liaison', agencyCode: 'KOTA-B', password: 'liaison-password-1' });
  routes.push(...registeredRoutes(world.app));
});
afterAll(() => world.cleanup());

// Another agency than the liaison's, a real survey, a real format.
const concrete = (path: string) => path.replace(':survey', 'SPI-TEST').replace(':code', 'PROV-A').replace(':format', 'csv');
const staffRoutes = () => routes.filter((route) => route.path.startsWith('/staff') && route.path !== '/staff/login');


describe('the access policy on every staff route', () => {
  it('found the staff routes', () => {
    expect(staffRoutes().length).toBeGreaterThanOrEqual(12);
    expect(staffRoutes().some((route) => route.method === 'post')).toBe(true);
  });

  it('anonymous visitors are sent to the sign-in page', async () => {
    for (const route of staffRoutes()) {
      const response = await request(world.app)[route.method as 'get' | 'post'](concrete(route.path));
      expect({ route, status: response.status, location: response.headers.location?.split('?')[0] }).toEqual({ route, status: 303, location: '/staff/login' });
    }
  });

  it("a liaison of KOTA-B cannot reach anything of PROV-A", async () => {
    const { agent, csrf } = await signInStaff(world.app, 'kota@example.id', 'liaison-password-1');
    for (const route of staffRoutes().filter((candidate) => candidate.path.includes(':code'))) {
      const response = await agent[route.method as 'get' | 'post'](concrete(route.path)).type('form').send({ _csrf: csrf });
      expect({ route, forbidden: [403, 404].includes(response.status) }).toEqual({ route, forbidden: true });
    }
  });

  it('an inspector has no write action (logout aside)', async () => {
    const { agent, csrf } = await signInStaff(world.app, 'inspektur@example.id', 'inspector-password-1');
    for (const route of staffRoutes().filter((candidate) => candidate.method !== 'get' && candidate.path !== '/staff/logout')) {
      const response = await agent[route.method as 'post'](concrete(route.path)).type('form').send({ _csrf: csrf, reason: 'x', points: '1', agency: 'PROV-A', response: 'x', action: 'exclude' });
      expect({ route, status: response.status }).toEqual({ route, status: 403 });
    }
  });
});
