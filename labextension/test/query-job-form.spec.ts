import {
  COMPRESSIONS,
  JOB_FORMATS,
  checkJobForm,
  defaultJobForm,
  jobRequest,
  withFormat
} from '../src/query/job-form';
import type { IJobForm } from '../src/query/job-form';

const form = (changes: Partial<IJobForm> = {}): IJobForm => ({
  ...defaultJobForm(),
  ...changes
});

describe('the job form', () => {
  it('offers the formats and compressions of the REST contract', () => {
    expect(JOB_FORMATS).toEqual(['csv', 'fits', 'hdf5', 'parquet']);
    expect(COMPRESSIONS).toEqual({
      csv: ['gzip'],
      fits: ['gzip'],
      hdf5: ['gzip', 'lzf'],
      parquet: ['snappy', 'zstd', 'gzip']
    });
  });

  it('keeps a compression the new format has, drops one it lacks', () => {
    expect(withFormat(form({ compression: 'gzip' }), 'fits').compression).toBe(
      'gzip'
    );
    expect(
      withFormat(form({ format: 'parquet', compression: 'zstd' }), 'csv')
        .compression
    ).toBe('');
  });

  it.each([
    ['a good form', 'SELECT 1', form({ email: 'me@example.org' }), []],
    ['an empty query', '  ', form(), ['sql']],
    ['a bad e-mail', 'SELECT 1', form({ email: 'me@' }), ['email']],
    [
      'a compression the format lacks',
      'SELECT 1',
      form({ format: 'fits', compression: 'zstd' }),
      ['compression']
    ],
    ['a long name', 'SELECT 1', form({ name: 'n'.repeat(201) }), ['name']],
    [
      'an unknown format',
      'SELECT 1',
      form({ format: 'votable' as IJobForm['format'] }),
      ['format']
    ]
  ])('%s has problems in %p', (_, sql, value, fields) => {
    expect(checkJobForm(sql, value).map(p => p.field)).toEqual(fields);
  });

  it('names the allowed compressions in its message', () => {
    const [problem] = checkJobForm(
      'SELECT 1',
      form({ format: 'hdf5', compression: 'zstd' })
    );
    expect(problem.message).toContain('gzip, lzf');
  });

  it('builds the POST /jobs body, leaving out empty fields', () => {
    expect(jobRequest('SELECT 1', form({ format: 'fits' }))).toEqual({
      type: 'query',
      sql: 'SELECT 1',
      format: 'fits'
    });
    expect(
      jobRequest(
        'SELECT 1',
        form({
          format: 'parquet',
          compression: 'zstd',
          name: ' m2 ',
          email: 'me@example.org'
        })
      )
    ).toEqual({
      type: 'query',
      sql: 'SELECT 1',
      format: 'parquet',
      compression: 'zstd',
      name: 'm2',
      email: 'me@example.org'
    });
  });
});
