import { alertActivities, type AlertDeliveryDeps } from './deliver-alert';
import { callActivities, type CallDeps } from './call-service';
import { mirrorActivities, type MirrorDeps } from './mirror';
import { reconcileActivities, type ReconcileDeps } from './reconcile';
import { watchActivities, type WatchDeps } from './watch';

export type ActivityDeps = CallDeps & MirrorDeps & ReconcileDeps & AlertDeliveryDeps & WatchDeps;

export const createActivities = (deps: ActivityDeps) => ({
  ...callActivities(deps),
  ...mirrorActivities(deps),
  ...reconcileActivities(deps),
  ...alertActivities(deps),
  ...watchActivities(deps),
});
export type Activities = ReturnType<typeof createActivities>;

export type { CallObserver, CallRequest } from './call-service';
export { createSigner } from '../jobs/signature';
