import type { IJob, IJobList } from '../src/jobs-api';
import { makeJob } from './job-fixture';
import { JobMonitor } from '../src/jobs/monitor';
import { SurveylabAPIError } from '../src/request';

function page(jobs: IJob[], total = jobs.length): IJobList {
  return { jobs, total, offset: 0, limit: 50 };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(done => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A monitor whose listings come from `answers`, one per call, and record the limits asked. */
function monitorWith(answers: (() => Promise<IJobList>)[]) {
  const limits: number[] = [];
  const finished: string[][] = [];
  let changes = 0;
  const monitor = new JobMonitor({
    fetchJobs: limit => {
      limits.push(limit);
      const answer = answers.shift();
      if (answer === undefined) {
        throw new Error('no more answers');
      }
      return answer();
    },
    // Polls never fire by themselves in these tests: only refresh() lists.
    intervals: { activeSeconds: 600, visibleSeconds: 600, idleSeconds: 600 },
    standby: 'never'
  });
  monitor.finished.connect((_, jobs) => {
    finished.push(jobs.map(job => job.id));
  });
  monitor.changed.connect(() => {
    changes++;
  });
  return { monitor, limits, finished, changes: () => changes };
}

describe('JobMonitor', () => {
  let monitor: JobMonitor | null = null;
  afterEach(() => {
    monitor?.dispose();
    monitor = null;
  });

  it('lists the newest page and tells that the list changed', async () => {
    const setup = monitorWith([
      () => Promise.resolve(page([makeJob('a'), makeJob('b')], 7))
    ]);
    monitor = setup.monitor;
    expect(monitor.jobs).toBeNull();

    await monitor.refresh();

    expect(monitor.jobs?.map(job => job.id)).toEqual(['a', 'b']);
    expect(monitor.total).toBe(7);
    expect(monitor.error).toBeNull();
    expect(setup.limits).toEqual([50]);
    expect(setup.changes()).toBe(1);
    expect(setup.finished).toEqual([]);
  });

  it('signals the jobs that finished between two listings', async () => {
    const setup = monitorWith([
      () =>
        Promise.resolve(
          page([makeJob('a', { phase: 'EXECUTING' }), makeJob('b')])
        ),
      () =>
        Promise.resolve(page([makeJob('a', { phase: 'ERROR' }), makeJob('b')]))
    ]);
    monitor = setup.monitor;

    await monitor.refresh();
    await monitor.refresh();

    expect(setup.finished).toEqual([['a']]);
    expect(monitor.jobs?.[0].phase).toBe('ERROR');
  });

  it('raises nothing for a job the user ended here (update)', async () => {
    const setup = monitorWith([
      () => Promise.resolve(page([makeJob('a', { phase: 'EXECUTING' })])),
      () => Promise.resolve(page([makeJob('a', { phase: 'ABORTED' })]))
    ]);
    monitor = setup.monitor;
    await monitor.refresh();

    monitor.update(makeJob('a', { phase: 'ABORTED', name: 'renamed' }));
    expect(monitor.jobs?.[0].name).toBe('renamed');
    await monitor.refresh();

    expect(setup.finished).toEqual([]);
  });

  it('ignores an update of a job it does not list', async () => {
    const setup = monitorWith([() => Promise.resolve(page([makeJob('a')]))]);
    monitor = setup.monitor;
    await monitor.refresh();

    monitor.update(makeJob('zzz'));

    expect(monitor.jobs?.map(job => job.id)).toEqual(['a']);
    expect(setup.changes()).toBe(1);
  });

  it('removes a deleted job and counts it out of the total', async () => {
    const setup = monitorWith([
      () => Promise.resolve(page([makeJob('a'), makeJob('b')], 5))
    ]);
    monitor = setup.monitor;
    await monitor.refresh();

    monitor.remove('a');

    expect(monitor.jobs?.map(job => job.id)).toEqual(['b']);
    expect(monitor.total).toBe(4);
  });

  it('keeps the list and shows the error when a listing fails, then recovers', async () => {
    const setup = monitorWith([
      () => Promise.resolve(page([makeJob('a')])),
      () =>
        Promise.reject(
          new SurveylabAPIError({
            status: 0,
            url: 'u',
            message: 'Cannot reach the surveylab server: Failed to fetch'
          })
        ),
      () => Promise.resolve(page([makeJob('a'), makeJob('b')]))
    ]);
    monitor = setup.monitor;
    await monitor.refresh();

    await monitor.refresh();
    expect(monitor.error).toEqual({
      message: 'Cannot reach the surveylab server: Failed to fetch',
      detail: 'No answer from the server',
      status: 0
    });
    expect(monitor.jobs?.map(job => job.id)).toEqual(['a']);

    await monitor.refresh();
    expect(monitor.error).toBeNull();
    expect(monitor.jobs?.map(job => job.id)).toEqual(['a', 'b']);
  });

  it('lists again after a listing in flight when asked to refresh', async () => {
    const slow = deferred<IJobList>();
    const setup = monitorWith([
      () => slow.promise,
      () => Promise.resolve(page([makeJob('new')]))
    ]);
    monitor = setup.monitor;

    const first = monitor.refresh();
    while (setup.limits.length === 0) {
      await new Promise(resolve => setTimeout(resolve, 1));
    }
    const second = monitor.refresh();
    slow.resolve(page([makeJob('old')]));
    await Promise.all([first, second]);

    expect(setup.limits).toHaveLength(2);
    expect(monitor.jobs?.map(job => job.id)).toEqual(['new']);
  });

  it('lists more jobs when the limit grows, within 1..500', async () => {
    const setup = monitorWith([
      () => Promise.resolve(page([makeJob('a')])),
      () => Promise.resolve(page([makeJob('a')])),
      () => Promise.resolve(page([makeJob('a')]))
    ]);
    monitor = setup.monitor;
    await monitor.refresh();

    monitor.limit = 100;
    await monitor.refresh();
    monitor.limit = 10_000;

    expect(monitor.limit).toBe(500);
    expect(setup.limits.slice(0, 2)).toEqual([50, 100]);
  });

  it('asks nothing once disposed', async () => {
    const setup = monitorWith([]);
    monitor = setup.monitor;
    monitor.dispose();

    await monitor.refresh();

    expect(setup.limits).toEqual([]);
    expect(monitor.isDisposed).toBe(true);
  });
});
