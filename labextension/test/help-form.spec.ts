import {
  checkHelpForm,
  contextRows,
  defaultHelpForm,
  formField,
  helpRequest
} from '../src/help/form';
import {
  HELP_MESSAGE_MAX_LENGTH,
  HELP_SUBJECT_MAX_LENGTH
} from '../src/generated/limits';

const good = {
  subject: ' Slow query ',
  message: 'It never ends.',
  email: ' me@example.org ',
  jobId: ''
};

describe('checkHelpForm', () => {
  it('accepts a filled-in form', () => {
    expect(checkHelpForm(good)).toEqual([]);
  });

  it.each<[string, Partial<typeof good>, string]>([
    ['an empty subject', { subject: '  ' }, 'subject'],
    [
      'a long subject',
      { subject: 's'.repeat(HELP_SUBJECT_MAX_LENGTH + 1) },
      'subject'
    ],
    ['an empty message', { message: '' }, 'message'],
    [
      'a long message',
      { message: 'm'.repeat(HELP_MESSAGE_MAX_LENGTH + 1) },
      'message'
    ],
    ['no e-mail', { email: '' }, 'email'],
    ['a bad job id', { jobId: 'job-1' }, 'jobId']
  ])('names the field of %s', (_, change, field) => {
    const problems = checkHelpForm({ ...good, ...change });
    expect(problems.map(p => p.field)).toEqual([field]);
  });
});

describe('helpRequest', () => {
  it('trims the fields and sends no empty job id', () => {
    expect(helpRequest(good)).toEqual({
      subject: 'Slow query',
      message: 'It never ends.',
      email: 'me@example.org',
      job_id: null
    });
    expect(helpRequest({ ...good, jobId: ' ABCDEF012345 ' }).job_id).toBe(
      'abcdef012345'
    );
  });

  it('starts from the remembered e-mail and a given job', () => {
    expect(defaultHelpForm('me@example.org', '0123456789ab')).toEqual({
      subject: '',
      message: '',
      email: 'me@example.org',
      jobId: '0123456789ab'
    });
  });
});

describe('formField', () => {
  it.each([
    ['job_id', 'jobId'],
    ['subject', 'subject'],
    ['priority', null],
    [undefined, null]
  ])('maps the server field %s to %s', (field, expected) => {
    expect(formField(field)).toBe(expected);
  });
});

describe('contextRows', () => {
  it('shows a dash or none for what the lab does not have', () => {
    const rows = contextRows({
      user: 'ada',
      release: 'DEMO DR1',
      version: '0.1.0',
      lab_profile: null,
      lab_deadline: null,
      hub_user: null
    });
    expect(Object.fromEntries(rows)).toEqual({
      User: 'ada',
      'Lab profile': '-',
      Release: 'DEMO DR1',
      surveylab: '0.1.0',
      'Lab deadline': 'none'
    });
  });
});
