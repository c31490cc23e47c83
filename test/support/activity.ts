import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';

/** A MockActivityEnvironment's options for attempts that fail on purpose: their warnings would only be noise. */
export const QUIET_ACTIVITY = { logger: new DefaultLogger('ERROR') };

/** The ApplicationFailure an activity attempt threw; anything else (or no failure) fails the test. */
export async function failureOf(attempt: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await attempt;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('the attempt did not fail');
}
