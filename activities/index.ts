import { callActivities, type CallDeps } from './call-service';
import { mirrorActivities, type MirrorDeps } from './mirror';
import { reconcileActivities, type ReconcileDeps } from './reconcile';

export type ActivityDeps = CallDeps & MirrorDeps & ReconcileDeps;

export const createActivities = (deps: ActivityDeps) => ({
  ...callActivities(deps),
  ...mirrorActivities(deps),
  ...reconcileActivities(deps),
});
export type Activities = ReturnType<typeof createActivities>;

export type { CallObserver, CallRequest } from './call-service';
export { createSigner } from './signing';
