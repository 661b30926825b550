/**
 * The "Find anomalies" form's data: the features, the forest's size, the top
 * N and a name; checking against the contract's limits, and the request
 * (`JobRequest` with `type: anomaly` in `openapi.yaml`). Pure.
 */
import {
  ANOMALY_TOP_MAX,
  ANOMALY_TREES_MAX,
  ANOMALY_TREES_MIN
} from '../generated/limits';
import type { IJobRequest } from '../jobs-api';

/** What the form holds; `features` is comma-separated, `''` for the defaults. */
export interface IAnomalyForm {
  features: string;
  trees: number;
  top: number;
  name: string;
}

/** One problem of the form: which field, and what is wrong. */
export interface IAnomalyProblem {
  field: keyof IAnomalyForm | 'sql';
  message: string;
}

/** The form's starting values (the job's defaults). */
export function defaultAnomalyForm(): IAnomalyForm {
  return { features: '', trees: 100, top: 100, name: '' };
}

/** The features as the request lists them (none: the server's defaults). */
export function featureList(text: string): string[] {
  return text
    .split(',')
    .map(part => part.trim())
    .filter(part => part !== '');
}

const FEATURE = /^([A-Za-z_][A-Za-z0-9_]*)(\s*-\s*[A-Za-z_][A-Za-z0-9_]*)?$/;

/** Everything wrong with the form (and the query), in field order. The
 * features' columns are checked by the server against the sample. */
export function checkAnomalyForm(
  sql: string,
  form: IAnomalyForm
): IAnomalyProblem[] {
  const problems: IAnomalyProblem[] = [];
  if (sql.trim() === '') {
    problems.push({ field: 'sql', message: 'The query is empty.' });
  }
  const features = featureList(form.features);
  const bad = features.find(feature => !FEATURE.test(feature));
  if (bad !== undefined) {
    problems.push({
      field: 'features',
      message: `"${bad}" is not a column, a colour like MAG_AUTO_G-MAG_AUTO_R or ELLIPTICITY.`
    });
  } else if (features.length === 1) {
    problems.push({
      field: 'features',
      message: 'Give at least 2 features, or none for the defaults.'
    });
  }
  const whole = (
    field: 'trees' | 'top',
    low: number,
    high: number,
    what: string
  ): void => {
    const value = form[field];
    if (!Number.isInteger(value) || value < low || value > high) {
      problems.push({
        field,
        message: `${what} must be a whole number from ${low} to ${high.toLocaleString('en')}.`
      });
    }
  };
  whole('trees', ANOMALY_TREES_MIN, ANOMALY_TREES_MAX, 'Trees');
  whole('top', 1, ANOMALY_TOP_MAX, 'Top N');
  return problems;
}

/** The `POST /jobs` body of the form. */
export function anomalyRequest(sql: string, form: IAnomalyForm): IJobRequest {
  const features = featureList(form.features);
  const request: IJobRequest = {
    type: 'anomaly',
    sql,
    trees: form.trees,
    top: form.top
  };
  if (features.length > 0) {
    request.features = features;
  }
  if (form.name.trim() !== '') {
    request.name = form.name.trim();
  }
  return request;
}
