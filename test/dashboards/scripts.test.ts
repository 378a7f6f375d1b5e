import { parse } from 'yaml';
import { MONITOR_FILES, prometheusConfig } from '../../scripts/monitor.js';
import { assertLoopback, PHASES, parseDuration, phaseAt } from '../../scripts/simulate.js';

describe('npm run monitor', () => {
  test('the generated Prometheus config keeps the checked-in one, with absolute rules and the given targets', () => {
    const config = parse(prometheusConfig('127.0.0.1:8123', '127.0.0.1:9193')) as {
      global: { scrape_interval: string };
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toEqual([MONITOR_FILES.rules]);
    expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['127.0.0.1:9193']);
    expect(config.scrape_configs).toEqual([
      { job_name: 'mlops', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:8123'] }] },
    ]);
    expect(config.global.scrape_interval).toBe('5s');
  });
});

describe('npm run simulate', () => {
  test('phases cover the whole run, in order, with a slow and a failing phase', () => {
    expect(PHASES.reduce((sum, p) => sum + p.share, 0)).toBeCloseTo(1, 10);
    const minutes = 30;
    const seen = Array.from({ length: minutes }, (_, m) => phaseAt(m * 60_000, minutes * 60_000).name);
    expect([...new Set(seen)]).toEqual(['steady', 'burst', 'lull', 'slow', 'failing', 'recovery']);
    // Long enough runs keep the slow and failing phases past the 5-minute `for` of their alerts.
    expect(seen.filter((n) => n === 'slow').length).toBeGreaterThanOrEqual(7);
    expect(seen.filter((n) => n === 'failing').length).toBeGreaterThanOrEqual(6);
    expect(phaseAt(minutes * 60_000 + 1, minutes * 60_000).name).toBe('recovery');
  });

  test('durations and the loopback-only rule', () => {
    expect(parseDuration('120s')).toBe(120_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow('--duration');
    expect(assertLoopback('http://127.0.0.1:8000').port).toBe('8000');
    expect(assertLoopback('http://localhost:8000').hostname).toBe('localhost');
    expect(() => assertLoopback('https://api.example.com')).toThrow('loopback');
    expect(() => assertLoopback('http://10.0.0.5:8000')).toThrow('loopback');
  });
});
