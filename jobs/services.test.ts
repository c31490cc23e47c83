import { serviceNameOfVariable, targetUrl, TargetUrlError } from './services';

describe('service registry', () => {
  test.each([
    ['EMAIL_SERVICE_URL', 'email-service'],
    ['CRAWLER_SERVICE_URL', 'crawler-service'],
    ['USER_PROFILE_SERVICE_URL', 'user-profile-service'],
    ['SCHEDULER_API_URL', null],
    ['_SERVICE_URL', null],
    ['email_SERVICE_URL', null],
  ])('%s → %s', (variable, service) => {
    expect(serviceNameOfVariable(variable)).toBe(service);
  });

  test('the target is always the base URL plus the endpoint, on the service origin', () => {
    const services = new Map([['email-service', 'http://email-service:7006/v1/']]);
    expect(targetUrl(services, 'email-service', '/jobs/digest?x=1').href).toBe(
      'http://email-service:7006/v1/jobs/digest?x=1',
    );
    expect(() => targetUrl(services, 'crawler-service', '/x')).toThrow(TargetUrlError);
    const bare = new Map([['email-service', 'http://email-service:7006']]);
    expect(() => targetUrl(bare, 'email-service', '@evil.example/x')).toThrow(TargetUrlError);
  });
});
