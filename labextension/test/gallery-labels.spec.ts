import {
  LABEL_VALUES,
  LabelSaver,
  countLabels,
  labelForKey,
  withLabel
} from '../src/gallery/labels';
import type { Labels, SaveState } from '../src/gallery/labels';

describe('labelForKey', () => {
  it.each<[string, number | null]>([
    ['0', 0],
    ['7', 7],
    ['9', 9],
    ['a', null],
    ['Enter', null],
    ['10', null],
    ['', null]
  ])('%j gives %j', (key, label) => {
    expect(labelForKey(key)).toBe(label);
  });
});

describe('withLabel', () => {
  it('sets, replaces and removes a label without changing the original', () => {
    const before: Labels = { a: 1 };
    expect(withLabel(before, 'b', 3)).toEqual({ a: 1, b: 3 });
    expect(withLabel(before, 'a', 0)).toEqual({ a: 0 });
    expect(withLabel(before, 'a', null)).toEqual({});
    expect(withLabel(before, 'zzz', null)).toEqual({ a: 1 });
    expect(before).toEqual({ a: 1 });
  });
});

describe('countLabels', () => {
  it('counts each label and the unlabelled positions of the job', () => {
    const counts = countLabels({ a: 1, b: 1, c: 9, gone: 4 }, [
      'a',
      'b',
      'c',
      'd',
      'e'
    ]);
    expect(counts.byLabel).toEqual([0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(counts.unlabelled).toBe(2);
    expect(counts.byLabel).toHaveLength(LABEL_VALUES.length);
  });

  it('counts nothing for no positions', () => {
    expect(countLabels({ a: 1 }, [])).toEqual({
      byLabel: LABEL_VALUES.map(() => 0),
      unlabelled: 0
    });
  });
});

/** A save function the test resolves or rejects by hand. */
function manualSaves() {
  const calls: {
    labels: Labels;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];
  const save = (labels: Labels) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ labels, resolve, reject });
    });
  return { calls, save };
}

async function settle(): Promise<void> {
  for (let k = 0; k < 5; k++) {
    await Promise.resolve();
  }
}

describe('LabelSaver', () => {
  it('sends one save at a time and only the newest labels next', async () => {
    const { calls, save } = manualSaves();
    const states: SaveState[] = [];
    const saver = new LabelSaver(save, state => states.push(state));

    const done = saver.save({ a: 1 });
    void saver.save({ a: 2 });
    void saver.save({ a: 3 });
    expect(calls.map(call => call.labels)).toEqual([{ a: 1 }]);
    calls[0].resolve();
    await settle();
    expect(calls.map(call => call.labels)).toEqual([{ a: 1 }, { a: 3 }]);
    calls[1].resolve();
    await done;

    expect(states).toEqual([
      { status: 'saving' },
      { status: 'saving' },
      { status: 'saved' }
    ]);
  });

  it('reports a failure and sends the labels again on retry', async () => {
    const { calls, save } = manualSaves();
    const states: SaveState[] = [];
    const saver = new LabelSaver(save, state => states.push(state));

    const failed = saver.save({ a: 1 });
    calls[0].reject(new Error('no job 123 in this job store'));
    await failed;
    expect(states.at(-1)).toEqual({
      status: 'error',
      message: 'no job 123 in this job store'
    });

    const retried = saver.retry();
    expect(calls[1].labels).toEqual({ a: 1 });
    calls[1].resolve();
    await retried;
    expect(states.at(-1)).toEqual({ status: 'saved' });
  });

  it('has nothing to retry after a success', async () => {
    const { calls, save } = manualSaves();
    const saver = new LabelSaver(save, () => undefined);
    const saved = saver.save({ a: 1 });
    calls[0].resolve();
    await saved;
    await saver.retry();
    expect(calls).toHaveLength(1);
  });
});
