import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATABASE_PATH: 'data/integritas.db', PUBLIC_URL: 'http://localhost:3000', MAIL_FROM: 'Integritas <no-reply@localhost>', DEMO: true, TIMEZONE: 'Asia/Jakarta' });
    expect(config.SMTP_URL).toBeUndefined();
    expect(loadConfig({ PORT: '8080' }).PUBLIC_URL).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://spi.example.id/' }).PUBLIC_URL).toBe('https://spi.example.id');
    expect(loadConfig({ DEMO: '0', SMTP_URL: '' }).DEMO).toBe(false);
    expect(config.TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
    expect(config.SENDING_HOURS).toBeUndefined();
    expect(loadConfig({ SENDING_HOURS: '07:00-20:30' }).SENDING_HOURS).toEqual({ fromMinute: 420, toMinute: 1230 });
    expect(loadConfig({ SENDING_HOURS: '00:00-24:00' }).SENDING_HOURS).toEqual({ fromMinute: 0, toMinute: 1440 });
  });

  it.each([
    ['PORT', '70000'],
    ['PUBLIC_URL', 'not a url'],
    ['SMTP_URL', 'http://mail.example.id'],
    ['DEMO', 'maybe'],
    ['TIMEZONE', 'Mars/Olympus'],
    ['SECRET_KEY', 'short'],
    ['TRUST_PROXY', 'everyone'],
    ['SENDING_HOURS', '7-20'],
    ['SENDING_HOURS', '20:00-07:00'],
    ['SENDING_HOURS', '07:00-24:30'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
