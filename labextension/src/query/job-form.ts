/**
 * The "Submit job" form's data: the output formats and their compressions
 * (as `JobRequest` in `openapi.yaml` has them), checking, and the request.
 * Pure.
 */
import type { IJobRequest } from '../jobs-api';

/** The output formats of a query job. */
export const JOB_FORMATS = ['csv', 'fits', 'hdf5', 'parquet'] as const;

/** One output format. */
export type JobFormat = (typeof JOB_FORMATS)[number];

/** The compressions each format offers (none is always possible). */
export const COMPRESSIONS: Readonly<Record<JobFormat, readonly string[]>> = {
  csv: ['gzip'],
  fits: ['gzip'],
  hdf5: ['gzip', 'lzf'],
  parquet: ['snappy', 'zstd', 'gzip']
};

/** A format's label in the form. */
export const FORMAT_LABELS: Readonly<Record<JobFormat, string>> = {
  csv: 'CSV',
  fits: 'FITS',
  hdf5: 'HDF5',
  parquet: 'Parquet'
};

/** What the form holds; `compression` is `''` for none. */
export interface IJobForm {
  format: JobFormat;
  compression: string;
  name: string;
  email: string;
}

/** One problem of the form: which field, and what is wrong. */
export interface IFormProblem {
  field: keyof IJobForm | 'sql';
  message: string;
}

/** Is `value` one of {@link JOB_FORMATS}? */
export function isJobFormat(value: unknown): value is JobFormat {
  return (
    typeof value === 'string' &&
    (JOB_FORMATS as readonly string[]).includes(value)
  );
}

/** The form's starting values. */
export function defaultJobForm(format: JobFormat = 'csv'): IJobForm {
  return { format, compression: '', name: '', email: '' };
}

/**
 * The form with a new format; a compression the new format lacks is dropped.
 */
export function withFormat(form: IJobForm, format: JobFormat): IJobForm {
  const compression = COMPRESSIONS[format].includes(form.compression)
    ? form.compression
    : '';
  return { ...form, format, compression };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Everything wrong with the form (and the SQL), in field order. */
export function checkJobForm(sql: string, form: IJobForm): IFormProblem[] {
  const problems: IFormProblem[] = [];
  if (sql.trim().length === 0) {
    problems.push({ field: 'sql', message: 'The query is empty.' });
  }
  if (!isJobFormat(form.format)) {
    problems.push({
      field: 'format',
      message: `Unknown format "${String(form.format)}": choose one of ${JOB_FORMATS.join(', ')}.`
    });
  } else if (
    form.compression !== '' &&
    !COMPRESSIONS[form.format].includes(form.compression)
  ) {
    problems.push({
      field: 'compression',
      message: `${FORMAT_LABELS[form.format]} cannot be compressed with "${form.compression}": choose ${COMPRESSIONS[form.format].join(', ')} or none.`
    });
  }
  if (form.name.length > 200) {
    problems.push({
      field: 'name',
      message: 'The job name is longer than 200 characters.'
    });
  }
  const email = form.email.trim();
  if (email !== '' && !EMAIL.test(email)) {
    problems.push({
      field: 'email',
      message: `"${email}" is not an e-mail address (like name@example.org).`
    });
  }
  return problems;
}

/** The `POST /jobs` body of a query job; empty fields are left out. */
export function jobRequest(sql: string, form: IJobForm): IJobRequest {
  const request: IJobRequest = { type: 'query', sql, format: form.format };
  if (form.compression !== '') {
    request.compression = form.compression;
  }
  const name = form.name.trim();
  if (name !== '') {
    request.name = name;
  }
  const email = form.email.trim();
  if (email !== '') {
    request.email = email;
  }
  return request;
}
