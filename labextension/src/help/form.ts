/**
 * The help desk form's data: its fields, their checks (the contract's
 * limits) and the request sent. Pure.
 */
import {
  HELP_MESSAGE_MAX_LENGTH,
  HELP_SUBJECT_MAX_LENGTH
} from '../generated/limits';
import type { Schemas } from '../types';

/** The body of `POST /surveylab/api/help`. */
export type IHelpRequest = Schemas['HelpRequest'];
/** The body of `GET /surveylab/api/help`. */
export type IHelpStatus = Schemas['HelpStatus'];
/** The lab's facts the server fills in. */
export type IHelpContext = Schemas['HelpContext'];
/** The answer of a message sent. */
export type IHelpReceipt = Schemas['HelpReceipt'];

/** What the form holds. */
export interface IHelpForm {
  subject: string;
  message: string;
  email: string;
  jobId: string;
}

/** One problem of the form: which field, and what is wrong. */
export interface IHelpProblem {
  field: keyof IHelpForm;
  message: string;
}

/** The form's starting values. */
export function defaultHelpForm(email = '', jobId = ''): IHelpForm {
  return { subject: '', message: '', email, jobId };
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const JOB_ID = /^[0-9a-f]{12}$/i;

/** Everything wrong with the form, in field order (the server checks again). */
export function checkHelpForm(form: IHelpForm): IHelpProblem[] {
  const problems: IHelpProblem[] = [];
  const subject = form.subject.trim();
  if (subject.length === 0) {
    problems.push({ field: 'subject', message: 'Write a subject.' });
  } else if (subject.length > HELP_SUBJECT_MAX_LENGTH) {
    problems.push({
      field: 'subject',
      message: `The subject has ${subject.length} characters; at most ${HELP_SUBJECT_MAX_LENGTH} are accepted.`
    });
  }
  const message = form.message.trim();
  if (message.length === 0) {
    problems.push({ field: 'message', message: 'Write a message.' });
  } else if (message.length > HELP_MESSAGE_MAX_LENGTH) {
    problems.push({
      field: 'message',
      message: `The message has ${message.length} characters; at most ${HELP_MESSAGE_MAX_LENGTH} are accepted.`
    });
  }
  if (!EMAIL.test(form.email.trim())) {
    problems.push({
      field: 'email',
      message: 'Give your e-mail address, e.g. me@example.org.'
    });
  }
  const jobId = form.jobId.trim();
  if (jobId.length > 0 && !JOB_ID.test(jobId)) {
    problems.push({
      field: 'jobId',
      message: 'A job id is 12 hexadecimal digits (or leave it empty).'
    });
  }
  return problems;
}

/** The request the form sends. */
export function helpRequest(form: IHelpForm): IHelpRequest {
  const jobId = form.jobId.trim();
  return {
    subject: form.subject.trim(),
    message: form.message.trim(),
    email: form.email.trim(),
    job_id: jobId.length > 0 ? jobId.toLowerCase() : null
  };
}

/** The form field of a server error's `field` (`job_id` is `jobId`). */
export function formField(field: string | undefined): keyof IHelpForm | null {
  switch (field) {
    case 'subject':
    case 'message':
    case 'email':
      return field;
    case 'job_id':
      return 'jobId';
    default:
      return null;
  }
}

/** The lab's facts as label and value rows, as the form shows them. */
export function contextRows(context: IHelpContext): [string, string][] {
  return [
    ['User', context.user],
    ['Lab profile', context.lab_profile ?? '-'],
    ['Release', context.release],
    ['surveylab', context.version],
    ['Lab deadline', context.lab_deadline ?? 'none']
  ];
}
